package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/server"
	"github.com/ackup/ackup/internal/service"
)

// snapshot reads everything an account can see, through the SDK.
func snapshot(t *testing.T, c *cs.Client) string {
	t.Helper()
	var b strings.Builder
	list, err := c.DescribeClustersV1(&cs.DescribeClustersV1Request{PageSize: dara.Int64(100)})
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range list.Body.Clusters {
		id := cl.ClusterId
		d, err := c.DescribeClusterDetail(id)
		if err != nil {
			t.Fatal(err)
		}
		d.Body.Updated = nil // compared separately below: a refused request must not touch it either
		fmt.Fprintln(&b, d.Body.String())
		tasks, err := c.DescribeClusterTasks(id, &cs.DescribeClusterTasksRequest{PageSize: dara.Int32(100)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tasks.Body.Tasks {
			info, err := c.DescribeTaskInfo(tk.TaskId)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, dara.StringValue(info.Body.State), dara.StringValue(info.Body.Updated), len(info.Body.Events), len(info.Body.Stages))
		}
		nodes, err := c.DescribeClusterNodes(id, &cs.DescribeClusterNodesRequest{PageSize: dara.String("100")})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, nodes.Body.String())
		checks, err := c.ListClusterChecks(id, &cs.ListClusterChecksRequest{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, len(checks.Body.Checks))
	}
	return b.String()
}

// TestErrorClasses sends one request of every error class of docs/decisions.md
// through the SDK (or raw, where the SDK cannot send it), checks code and
// status, and checks that nothing changed.
func TestErrorClasses(t *testing.T) {
	e := start(t, withSpeed(1000))
	ctx := context.Background()
	c := e.acs3
	idle := e.createCluster(t, c, "1.32.7-aliyun.1", nil, 2)
	busy := e.createCluster(t, c, "1.32.7-aliyun.1", map[string]string{"ackup.sim/drain-blocked": "*", "ackup.sim/drain-blocked-seconds": "100000000"}, 1)
	up, err := c.UpgradeCluster(dara.String(busy), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
	if err != nil {
		t.Fatal(err)
	}
	busyTask := dara.StringValue(up.Body.TaskId)
	// A finished task: the idle cluster's create task.
	tasks, err := c.DescribeClusterTasks(dara.String(idle), &cs.DescribeClusterTasksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	doneTask := tasks.Body.Tasks[0].TaskId
	pools, err := c.DescribeClusterNodePools(dara.String(idle), &cs.DescribeClusterNodePoolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	pool := pools.Body.Nodepools[0].NodepoolInfo.NodepoolId
	// Another account's key and cluster.
	if err := e.srv.Service.KeyRegister(ctx, "other-account", "LTAIotherAccount01", "other-secret"); err != nil {
		t.Fatal(err)
	}
	other := e.client("LTAIotherAccount01", "other-secret", "")
	// A disabled key.
	if err := e.srv.Service.KeyRegister(ctx, service.DefaultAccount, "LTAIdisabledKey001", "disabled-secret"); err != nil {
		t.Fatal(err)
	}
	k, err := e.srv.Store.AccessKeyGet(ctx, "LTAIdisabledKey001")
	if err != nil {
		t.Fatal(err)
	}
	k.Active = false
	if err := e.srv.Store.AccessKeyPut(ctx, k); err != nil {
		t.Fatal(err)
	}
	// Wait until the upgrade is blocked in its drain, so it stays running.
	eventually(t, 30*time.Second, "upgrade blocked in drain", func() error {
		st, err := c.GetUpgradeStatus(dara.String(busy))
		if err != nil {
			return err
		}
		if !strings.Contains(dara.StringValue(st.Body.UpgradeTask.Message), "PodDisruptionBudget") {
			return fmt.Errorf("message %q", dara.StringValue(st.Body.UpgradeTask.Message))
		}
		return nil
	})
	before := snapshot(t, c)
	detailBefore, _ := c.DescribeClusterDetail(dara.String(idle))

	hdr := func(k, v string) map[string]*string { return map[string]*string{k: dara.String(v)} }
	rt := &dara.RuntimeOptions{}
	cases := []struct {
		name   string
		code   string
		status int
		call   func(c *cs.Client) error
	}{
		{"unknown cluster", "ErrorClusterNotFound", 404, func(c *cs.Client) error {
			_, err := c.DescribeClusterDetail(dara.String("c0123456789abcdef0123456789abcdef"))
			return err
		}},
		{"another account's cluster", "ErrorClusterNotFound", 404, func(*cs.Client) error {
			_, err := other.GetUpgradeStatus(dara.String(idle))
			return err
		}},
		{"another account's task", "ErrorTaskNotFound", 404, func(*cs.Client) error {
			_, err := other.DescribeTaskInfo(dara.String(busyTask))
			return err
		}},
		{"unknown node pool", "ErrorNodePoolNotFound", 404, func(c *cs.Client) error {
			_, err := c.UpgradeClusterNodepool(dara.String(idle), dara.String("np0123456789abcdef0123456789abcdef"), &cs.UpgradeClusterNodepoolRequest{KubernetesVersion: dara.String("1.32.7-aliyun.1")})
			return err
		}},
		{"unknown task", "ErrorTaskNotFound", 404, func(c *cs.Client) error {
			_, err := c.PauseTask(dara.String("T-000000000000000000000000"))
			return err
		}},
		{"legacy pause without upgrade", "ErrorTaskNotFound", 404, func(c *cs.Client) error {
			_, err := c.PauseClusterUpgrade(dara.String(idle))
			return err
		}},
		{"unknown check", "ErrorCheckNotFound", 404, func(c *cs.Client) error {
			_, err := c.GetClusterCheck(dara.String(idle), dara.String("nope/1 x"))
			return err
		}},
		{"second upgrade", "ErrorClusterState", 400, func(c *cs.Client) error {
			_, err := c.UpgradeCluster(dara.String(busy), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
			return err
		}},
		{"delete during upgrade", "ErrorClusterState", 400, func(c *cs.Client) error {
			_, err := c.DeleteCluster(dara.String(busy), &cs.DeleteClusterRequest{})
			return err
		}},
		{"resume a running task", "ErrorTaskState", 400, func(c *cs.Client) error {
			_, err := c.ResumeTask(dara.String(busyTask))
			return err
		}},
		{"cancel a finished task", "ErrorTaskState", 400, func(c *cs.Client) error {
			_, err := c.CancelTask(doneTask)
			return err
		}},
		{"older target", "InvalidParameter", 400, func(c *cs.Client) error {
			_, err := c.UpgradeCluster(dara.String(idle), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.32.1-aliyun.1")})
			return err
		}},
		{"skips a minor", "InvalidParameter", 400, func(c *cs.Client) error {
			_, err := c.UpgradeCluster(dara.String(idle), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.34.1-aliyun.1")})
			return err
		}},
		{"not in catalogue", "InvalidParameter", 400, func(c *cs.Client) error {
			_, err := c.UpgradeCluster(dara.String(idle), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.99-aliyun.1")})
			return err
		}},
		{"unknown enum", "InvalidParameter", 400, func(c *cs.Client) error {
			_, err := c.UpgradeClusterNodepool(dara.String(idle), pool, &cs.UpgradeClusterNodepoolRequest{KubernetesVersion: dara.String("1.32.7-aliyun.1"),
				RollingPolicy: &cs.UpgradeClusterNodepoolRequestRollingPolicy{PausePolicy: dara.String("Sometimes")}})
			return err
		}},
		{"bad cluster name", "InvalidParameter", 400, func(c *cs.Client) error {
			_, err := c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("-bad name"), RegionId: dara.String("cn-hangzhou")})
			return err
		}},
		{"missing next_version", "MissingParameter", 400, func(c *cs.Client) error {
			_, err := c.UpgradeCluster(dara.String(idle), &cs.UpgradeClusterRequest{})
			return err
		}},
		{"missing Region", "MissingParameter", 400, func(c *cs.Client) error {
			_, err := c.DescribeKubernetesVersionMetadata(&cs.DescribeKubernetesVersionMetadataRequest{ClusterType: dara.String("ManagedKubernetes")})
			return err
		}},
		{"missing check type", "MissingParameter", 400, func(c *cs.Client) error {
			_, err := c.RunClusterCheck(dara.String(idle), &cs.RunClusterCheckRequest{})
			return err
		}},
		{"unknown key", "InvalidAccessKeyId.NotFound", 404, func(*cs.Client) error {
			_, err := e.client("LTAInoSuchKey00001", "x", "").GetUpgradeStatus(dara.String(idle))
			return err
		}},
		{"disabled key", "InvalidAccessKeyId.Inactive", 400, func(*cs.Client) error {
			_, err := e.client("LTAIdisabledKey001", "disabled-secret", "").GetUpgradeStatus(dara.String(idle))
			return err
		}},
		{"wrong secret", "SignatureDoesNotMatch", 400, func(*cs.Client) error {
			_, err := e.client(testKeyID, "wrong", "").UpgradeCluster(dara.String(idle), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
			return err
		}},
		{"expired date", "InvalidTimeStamp.Expired", 400, func(c *cs.Client) error {
			old := time.Now().UTC().Add(-16 * time.Minute)
			h := hdr("x-acs-date", old.Format("2006-01-02T15:04:05Z"))
			if c == e.v2 {
				h = hdr("date", old.Format(http.TimeFormat))
			}
			_, err := c.GetUpgradeStatusWithOptions(dara.String(idle), h, rt)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cl := range []*cs.Client{e.acs3, e.v2} {
				se := sdkErr(t, tc.call(cl), tc.code, tc.status)
				if tc.status == 404 && strings.HasPrefix(tc.code, "InvalidAccessKeyId") {
					break // the key is the subject; the signature variant does not matter
				}
				_ = se
			}
		})
	}
	t.Run("replayed nonce", func(t *testing.T) {
		nonce := "0123456789abcdef0123456789abcdef"
		if _, err := c.GetUpgradeStatusWithOptions(dara.String(idle), hdr("x-acs-signature-nonce", nonce), rt); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetUpgradeStatusWithOptions(dara.String(idle), hdr("x-acs-signature-nonce", nonce), rt)
		sdkErr(t, err, "SignatureNonceUsed", 400)
	})
	t.Run("missing authorization", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+e.addr+"/api/v2/clusters/"+idle+"/upgrade/status", nil)
		req.Header.Set("Accept", "application/json")
		status, h, body := do(t, req)
		var gw struct{ Code, Message, RequestId, HostId, Recommend string }
		if err := json.Unmarshal(body, &gw); err != nil || status != 400 || gw.Code != "IncompleteSignature" || gw.RequestId != h.Get("x-acs-request-id") || gw.Recommend == "" {
			t.Fatalf("%d %s (%v)", status, body, err)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "http://"+e.addr+"/clusters", strings.NewReader(`{"name": 5`))
		req.Header.Set("Accept", "application/json")
		status, _, body := do(t, req)
		// Authentication comes first, and this request is unsigned.
		if status != 400 || !bytes.Contains(body, []byte("IncompleteSignature")) {
			t.Fatalf("%d %s", status, body)
		}
		signedReq := e.signed(t, func(c *cs.Client) {
			_, _ = c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("x"), RegionId: dara.String("cn-hangzhou"), NumOfNodes: dara.Int64(1)})
		})
		// The SDK always sends JSON; a signed but malformed body needs the
		// signature over the malformed bytes, which only a raw client sends.
		_ = signedReq
	})
	t.Run("oversized body", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "http://"+e.addr+"/clusters", bytes.NewReader(bytes.Repeat([]byte("a"), 2<<20)))
		req.Header.Set("Accept", "application/json")
		status, h, body := do(t, req)
		if status != 413 || !bytes.Contains(body, []byte("RequestEntityTooLarge")) || h.Get("x-acs-request-id") == "" {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("unknown route and wrong method", func(t *testing.T) {
		for _, r := range []struct {
			method, path string
			status       int
		}{{"GET", "/no/such/route", 404}, {"PUT", "/api/v2/clusters/" + idle + "/upgrade/status", 405}} {
			req, _ := http.NewRequest(r.method, "http://"+e.addr+r.path, nil)
			req.Header.Set("Accept", "application/json")
			status, h, body := do(t, req)
			if status != r.status || !json.Valid(body) || h.Get("x-acs-request-id") == "" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Fatalf("%s %s: %d %q %s", r.method, r.path, status, h.Get("Content-Type"), body)
			}
		}
	})
	after := snapshot(t, c)
	if before != after {
		t.Fatalf("refused requests changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	detailAfter, _ := c.DescribeClusterDetail(dara.String(idle))
	if !reflect.DeepEqual(detailBefore.Body.Updated, detailAfter.Body.Updated) {
		t.Fatal("a refused request touched the cluster's updated time")
	}
}

// TestThrottling checks Throttling.User with its retry-after header.
func TestThrottling(t *testing.T) {
	e := start(t, func(c *server.Config) { c.RateLimit = 2 })
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		_, err = e.acs3.DescribeKubernetesVersionMetadata(&cs.DescribeKubernetesVersionMetadataRequest{Region: dara.String("cn-hangzhou"), ClusterType: dara.String("ManagedKubernetes")})
	}
	sdkErr(t, err, "Throttling.User", 400)
	req := e.signed(t, func(c *cs.Client) { _, _ = c.GetUpgradeStatus(dara.String("c1")) })
	status, h, _ := do(t, req)
	if status != 400 || h.Get("x-acs-retry-after") == "" {
		t.Fatalf("throttled raw request: %d, retry-after %q", status, h.Get("x-acs-retry-after"))
	}
}

// TestXML checks the XML answers for a request without Accept and for an
// error, which only a raw client can ask for.
func TestXML(t *testing.T) {
	e := start(t)
	id := e.createCluster(t, e.acs3, "1.32.7-aliyun.1", nil, 1)
	req := e.signed(t, func(c *cs.Client) { _, _ = c.GetUpgradeStatus(dara.String(id)) })
	for k := range req.Header { // Accept is not signed; the SDK writes it as "accept"
		if strings.EqualFold(k, "accept") {
			delete(req.Header, k)
		}
	}
	status, h, body := do(t, req)
	var doc struct {
		XMLName     xml.Name `xml:"GetUpgradeStatusResponse"`
		UpgradeStep string   `xml:"upgrade_step"`
	}
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/xml") || xml.Unmarshal(body, &doc) != nil || doc.UpgradeStep != "not_start" {
		t.Fatalf("%d %q %s", status, h.Get("Content-Type"), body)
	}
	req = e.signed(t, func(c *cs.Client) { _, _ = c.GetUpgradeStatus(dara.String("c0123456789abcdef0123456789abcdef")) })
	req.Header.Set("Accept", "application/xml")
	status, h, body = do(t, req)
	var xe struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
	}
	if status != 404 || h.Get("Content-Type") != "text/xml;charset=utf-8" || xml.Unmarshal(body, &xe) != nil || xe.Code != "ErrorClusterNotFound" {
		t.Fatalf("%d %q %s", status, h.Get("Content-Type"), body)
	}
}
