package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	aliyungo "github.com/denverdino/aliyungo/cs"
)

// legacyUpgradeResult is GetUpgradeStatus as github.com/denverdino/aliyungo/cs
// declares it in the versions Terraform's alicloud provider used
// (UpgradeClusterResult, UpgradeTask, UpgradeStatus, Event). The module
// version the Go proxy serves here predates those types, so they are
// spelled here, field for field, and decoded by that client's own Invoke.
type legacyUpgradeResult struct {
	Status           string `json:"status"`
	PrecheckReportId string `json:"precheck_report_id"`
	UpgradeStep      string `json:"upgrade_step"`
	ErrorMessage     string `json:"error_message"`
	*UpgradeTask     `json:"upgrade_task,omitempty"`
}

type UpgradeTask struct {
	FieldRetries    int                 `json:"retries,omitempty"`
	FieldCreatedAt  time.Time           `json:"created_at"`
	FieldMessage    string              `json:"message,omitempty"`
	FieldStatus     string              `json:"status"`
	FieldFinishedAt time.Time           `json:"finished_at,omitempty"`
	UpgradeStatus   legacyUpgradeStatus `json:"upgrade_status"`
}

type legacyUpgradeStatus struct {
	State      string        `json:"state"`
	Phase      string        `json:"phase"`
	Total      int           `json:"total"`
	Succeeded  int           `json:"succeeded"`
	Failed     string        `json:"failed"`
	Events     []legacyEvent `json:"events"`
	IsCanceled bool          `json:"is_canceled"`
}

type legacyEvent struct {
	Timestamp time.Time
	Type      string
	Reason    string
	Message   string
	Source    string
}

// aliyungoClient is the aliyungo CS client for the server: its own ROA
// HMAC-SHA1 signer, the endpoint as http://127.0.0.1:port.
func (e *env) aliyungoClient() *aliyungo.Client {
	c := aliyungo.NewClient(testKeyID, testKeySecret)
	c.SetEndpoint("http://" + e.addr)
	return c
}

// queryUpgradeResult is aliyungo's QueryUpgradeClusterResult.
func queryUpgradeResult(t *testing.T, c *aliyungo.Client, cluster string) *legacyUpgradeResult {
	t.Helper()
	r := &legacyUpgradeResult{}
	if err := c.Invoke("", http.MethodGet, fmt.Sprintf("/api/v2/clusters/%s/upgrade/status", cluster), nil, nil, r); err != nil {
		t.Fatalf("aliyungo QueryUpgradeClusterResult: %v", err)
	}
	if r.UpgradeTask == nil {
		t.Fatal("aliyungo decoded no upgrade_task")
	}
	return r
}

// legacyFailed is how the provider decides that an upgrade failed: a
// paused step with upgrade_status.failed "true"; the message is the last
// event's.
func legacyFailed(r *legacyUpgradeResult) (bool, string) {
	if r.UpgradeStep != "pause" || r.UpgradeStatus.Failed != "true" {
		return false, ""
	}
	evs := r.UpgradeStatus.Events
	if len(evs) == 0 {
		return true, ""
	}
	return true, evs[len(evs)-1].Message
}

// waitFailed polls until the upgrade of cluster failed, through the SDK
// (every answer documented) and then through aliyungo.
func waitFailed(t *testing.T, e *env, c *cs.Client, cluster, inMessage string) *legacyUpgradeResult {
	t.Helper()
	seen := watchStatus(t, c, cluster, nil)
	st, err := c.GetUpgradeStatus(dara.String(cluster))
	if err != nil {
		t.Fatal(err)
	}
	if dara.StringValue(st.Body.Status) != "fail" || dara.StringValue(st.Body.UpgradeStep) != "pause" ||
		dara.StringValue(st.Body.UpgradeTask.Status) != "Failed" || !strings.Contains(dara.StringValue(st.Body.ErrorMessage), inMessage) {
		t.Fatalf("failed upgrade through the SDK: %s (seen %v)", st.Body.String(), seen)
	}
	r := queryUpgradeResult(t, e.aliyungoClient(), cluster)
	failed, msg := legacyFailed(r)
	if !failed || !strings.Contains(msg, inMessage) || r.FieldStatus != "Failed" || r.FieldFinishedAt.IsZero() || r.FieldCreatedAt.IsZero() {
		t.Fatalf("aliyungo sees failed=%v %q: %+v", failed, msg, r.UpgradeTask)
	}
	return r
}

// TestRetryAfterFailureThroughSDK fails an upgrade with each fault tag that
// fails one, retries it with ResumeUpgradeCluster (and ResumeTask), and
// checks that it succeeds with every node upgraded exactly once, as both
// the official SDK and aliyungo read it.
func TestRetryAfterFailureThroughSDK(t *testing.T) {
	e := start(t, withSpeed(1000))
	for _, tc := range []struct {
		tag, value, inMessage string
		byTask                bool
	}{
		{"ackup.sim/precheck-fail", "DeprecatedAPIs", "DeprecatedAPIs", false},
		{"ackup.sim/control-plane-fail", "true", "control plane", true},
		{"ackup.sim/node-never-ready", "2", "did not become Ready", false},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			c := e.acs3
			id := e.createCluster(t, c, "1.32.7-aliyun.1", map[string]string{tc.tag: tc.value}, 3)
			up, err := c.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
			if err != nil {
				t.Fatal(err)
			}
			task := dara.StringValue(up.Body.TaskId)
			waitFailed(t, e, c, id, tc.inMessage)
			if s := taskState(t, c, task); s != "failed" {
				t.Fatalf("DescribeTaskInfo state %s, want failed", s)
			}
			if tc.byTask {
				_, err = e.v2.ResumeTask(dara.String(task))
			} else {
				_, err = e.v2.ResumeUpgradeCluster(dara.String(id))
			}
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			seen := watchStatus(t, c, id, nil)
			if seen[len(seen)-1] != "success/success/Success" {
				t.Fatalf("retried upgrade ended %v", seen)
			}
			r := queryUpgradeResult(t, e.aliyungoClient(), id)
			if failed, _ := legacyFailed(r); failed || r.Status != "success" || r.UpgradeStep != "success" || r.FieldRetries != 1 ||
				r.UpgradeStatus.Total != 3 || r.UpgradeStatus.Succeeded != 3 || r.UpgradeStatus.Phase != "Nodes" {
				t.Fatalf("aliyungo after the retry: %+v %+v", r, r.UpgradeTask)
			}
			counts := nodeUpgradeCounts(t, c, task)
			if len(counts) != 3 {
				t.Fatalf("%d distinct nodes upgraded: %v", len(counts), counts)
			}
			for n, k := range counts {
				if k != 1 {
					t.Fatalf("node %s upgraded %d times", n, k)
				}
			}
			d, _ := c.DescribeClusterDetail(dara.String(id))
			if dara.StringValue(d.Body.State) != "running" || dara.StringValue(d.Body.CurrentVersion) != "1.33.3-aliyun.1" {
				t.Fatalf("cluster %s at %s", dara.StringValue(d.Body.State), dara.StringValue(d.Body.CurrentVersion))
			}
		})
	}
}

// TestAliyungoSeesAGoodUpgradeSucceed polls a fault-free upgrade the way
// the provider's aliyungo client does, to success.
func TestAliyungoSeesAGoodUpgradeSucceed(t *testing.T) {
	e := start(t, withSpeed(1000))
	id := e.createCluster(t, e.acs3, "1.32.7-aliyun.1", nil, 2)
	ag := e.aliyungoClient()
	if r := queryUpgradeResult(t, ag, id); r.UpgradeStep != "not_start" || r.Status != "" {
		t.Fatalf("before any upgrade: %+v", r)
	}
	if _, err := e.acs3.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "aliyungo sees success", func() error {
		r := queryUpgradeResult(t, ag, id)
		if failed, msg := legacyFailed(r); failed {
			t.Fatalf("aliyungo sees a failure: %s", msg)
		}
		if r.UpgradeStep != "success" {
			return fmt.Errorf("step %s", r.UpgradeStep)
		}
		return nil
	})
	r := queryUpgradeResult(t, ag, id)
	if r.Status != "success" || r.FieldStatus != "Success" || r.UpgradeStatus.Failed != "false" || r.FieldRetries != 0 ||
		r.UpgradeStatus.Succeeded != 2 || len(r.UpgradeStatus.Events) == 0 || r.UpgradeStatus.Events[0].Timestamp.IsZero() {
		t.Fatalf("aliyungo at the end: %+v %+v", r, r.UpgradeTask)
	}
}

// TestCancelOfAFailedUpgradeThroughSDK ends a failed upgrade with
// CancelClusterUpgrade: canceled, in the step it stopped in.
func TestCancelOfAFailedUpgradeThroughSDK(t *testing.T) {
	e := start(t, withSpeed(1000))
	c := e.acs3
	id := e.createCluster(t, c, "1.32.7-aliyun.1", map[string]string{"ackup.sim/control-plane-fail": "true"}, 1)
	up, err := c.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
	if err != nil {
		t.Fatal(err)
	}
	waitFailed(t, e, c, id, "control plane")
	if _, err := c.CancelClusterUpgrade(dara.String(id)); err != nil {
		t.Fatal(err)
	}
	if s := taskState(t, c, dara.StringValue(up.Body.TaskId)); s != "canceled" {
		t.Fatalf("state %s after cancel", s)
	}
	r := queryUpgradeResult(t, e.aliyungoClient(), id)
	if r.Status != "fail" || r.UpgradeStep != "upgrading" || !r.UpgradeStatus.IsCanceled || r.UpgradeStatus.Failed != "false" {
		t.Fatalf("canceled upgrade: %+v %+v", r, r.UpgradeTask)
	}
	_, err = c.ResumeUpgradeCluster(dara.String(id))
	sdkErr(t, err, "ErrorTaskState", 400)
}
