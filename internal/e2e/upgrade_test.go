package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// documented is every (status, upgrade_step, upgrade_task.status) triple
// docs/decisions.md allows GetUpgradeStatus to answer.
var documented = map[[3]string]bool{
	{"", "not_start", ""}:                 true,
	{"running", "prechecking", "running"}: true,
	{"running", "upgrading", "running"}:   true,
	{"pause", "pause", "running"}:         true,
	{"success", "success", "Success"}:     true,
	{"fail", "pause", "Failed"}:           true, // failed: a paused step, retryable
	{"fail", "prechecking", "Failed"}:     true, // canceled in the step it stopped in
	{"fail", "upgrading", "Failed"}:       true,
}

// watchStatus polls GetUpgradeStatus until the upgrade ends, checking every
// answer against the documented values; it returns the distinct answers
// seen, in order.
func watchStatus(t *testing.T, c *cs.Client, cluster string, onEach func(st *cs.GetUpgradeStatusResponseBody)) []string {
	t.Helper()
	var seen []string
	eventually(t, 60*time.Second, "upgrade of "+cluster+" finished", func() error {
		st, err := c.GetUpgradeStatus(dara.String(cluster))
		if err != nil {
			t.Fatalf("GetUpgradeStatus: %v", err)
		}
		b := st.Body
		if b.Status == nil || b.UpgradeStep == nil || b.ErrorMessage == nil || b.PrecheckReportId == nil || b.UpgradeTask == nil || b.UpgradeTask.Status == nil || b.UpgradeTask.Message == nil {
			t.Fatalf("a GetUpgradeStatus field is absent: %s", b.String())
		}
		key := [3]string{dara.StringValue(b.Status), dara.StringValue(b.UpgradeStep), dara.StringValue(b.UpgradeTask.Status)}
		if !documented[key] {
			t.Fatalf("undocumented GetUpgradeStatus answer %v", key)
		}
		if s := strings.Join(key[:], "/"); len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		if onEach != nil {
			onEach(b)
		}
		if key[0] == "success" || key[0] == "fail" {
			return nil
		}
		return fmt.Errorf("status %v", key)
	})
	return seen
}

// TestUpgradeThroughSDK: a 4-node cluster goes from UpgradeCluster to
// success at --sim-speed 1000, every answer on the way documented, both
// views and the cluster telling the truth at the end.
func TestUpgradeThroughSDK(t *testing.T) {
	e := start(t, withSpeed(1000))
	e.clients(t, func(t *testing.T, c *cs.Client) {
		id := e.createCluster(t, c, "1.32.7-aliyun.1", nil, 2, 2)
		began := time.Now()
		up, err := c.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
		if err != nil {
			t.Fatal(err)
		}
		if dara.StringValue(up.Body.TaskId) == "" || dara.StringValue(up.Body.ClusterId) != id || dara.StringValue(up.Body.RequestId) == "" {
			t.Fatalf("UpgradeCluster answered %s", up.Body.String())
		}
		seen := watchStatus(t, c, id, func(b *cs.GetUpgradeStatusResponseBody) {
			if dara.StringValue(b.PrecheckReportId) == "" {
				t.Fatal("precheck_report_id is empty during the upgrade")
			}
		})
		t.Logf("upgrade took %s; GetUpgradeStatus went %v", time.Since(began), seen)
		if seen[len(seen)-1] != "success/success/Success" || !strings.HasPrefix(seen[0], "running/") {
			t.Fatalf("statuses %v", seen)
		}
		info, err := c.DescribeTaskInfo(up.Body.TaskId)
		if err != nil {
			t.Fatal(err)
		}
		if dara.StringValue(info.Body.State) != "success" || dara.StringValue(info.Body.TaskType) != "cluster_upgrade" || len(info.Body.Stages) != 3 {
			t.Fatalf("DescribeTaskInfo: %s", info.Body.String())
		}
		reasons := map[string]int{}
		for _, ev := range info.Body.Events {
			reasons[dara.StringValue(ev.Reason)]++
			if dara.StringValue(ev.Message) == "" || len(dara.StringValue(ev.Timestamp)) != 13 {
				t.Fatalf("event %s", ev.String())
			}
		}
		if reasons["NodeUpgraded"] != 4 || reasons["NodePoolUpgradeStart"] != 2 || reasons["NodeDrainStart"] != 4 {
			t.Fatalf("event reasons %v", reasons)
		}
		d, err := c.DescribeClusterDetail(dara.String(id))
		if err != nil {
			t.Fatal(err)
		}
		if dara.StringValue(d.Body.State) != "running" || dara.StringValue(d.Body.CurrentVersion) != "1.33.3-aliyun.1" {
			t.Fatalf("cluster after upgrade: %s %s", dara.StringValue(d.Body.State), dara.StringValue(d.Body.CurrentVersion))
		}
		st, _ := c.GetUpgradeStatus(dara.String(id))
		chk, err := c.GetClusterCheck(dara.String(id), st.Body.PrecheckReportId)
		if err != nil || dara.StringValue(chk.Body.Status) != "Succeeded" || len(chk.Body.CheckItems) == 0 {
			t.Fatalf("precheck report: %v %v", chk, err)
		}
	})
}

func taskState(t *testing.T, c *cs.Client, task string) string {
	t.Helper()
	info, err := c.DescribeTaskInfo(dara.String(task))
	if err != nil {
		t.Fatal(err)
	}
	return dara.StringValue(info.Body.State)
}

func eventCount(t *testing.T, c *cs.Client, task, reason string) int {
	t.Helper()
	info, err := c.DescribeTaskInfo(dara.String(task))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range info.Body.Events {
		if dara.StringValue(ev.Reason) == reason {
			n++
		}
	}
	return n
}

// TestPauseResumeCancel pauses and resumes through the legacy cluster
// operations and cancels through the task operations.
func TestPauseResumeCancel(t *testing.T) {
	e := start(t, withSpeed(100))
	c := e.v2
	id := e.createCluster(t, c, "1.32.7-aliyun.1", nil, 4)
	up, err := c.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
	if err != nil {
		t.Fatal(err)
	}
	task := dara.StringValue(up.Body.TaskId)
	eventually(t, 60*time.Second, "first node draining", func() error {
		if eventCount(t, c, task, "NodeDrainStart") == 0 {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if _, err := c.PauseClusterUpgrade(dara.String(id)); err != nil {
		t.Fatal(err)
	}
	st, _ := c.GetUpgradeStatus(dara.String(id))
	if dara.StringValue(st.Body.Status) != "pause" || taskState(t, c, task) != "paused" {
		t.Fatalf("after pause: %s", st.Body.String())
	}
	// The node in flight finishes, then nothing starts.
	eventually(t, 30*time.Second, "node in flight finished", func() error {
		if eventCount(t, c, task, "NodeUncordoned") != 1 {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if n := eventCount(t, c, task, "NodeCordoned"); n != 1 {
		t.Fatalf("%d nodes started while paused", n)
	}
	if _, err := c.ResumeUpgradeCluster(dara.String(id)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "third node started", func() error {
		if eventCount(t, c, task, "NodeCordoned") < 3 {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if _, err := c.CancelTask(dara.String(task)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "canceled", func() error {
		if s := taskState(t, c, task); s != "canceled" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	st, _ = c.GetUpgradeStatus(dara.String(id))
	if dara.StringValue(st.Body.Status) != "fail" || !strings.Contains(dara.StringValue(st.Body.ErrorMessage), "canceled") {
		t.Fatalf("after cancel: %s", st.Body.String())
	}
	nodes, _ := c.DescribeClusterNodes(dara.String(id), &cs.DescribeClusterNodesRequest{})
	upgraded := eventCount(t, c, task, "NodeUpgraded")
	if upgraded < 3 || upgraded == 4 || len(nodes.Body.Nodes) != 4 {
		t.Fatalf("%d nodes upgraded at cancel", upgraded)
	}
	d, _ := c.DescribeClusterDetail(dara.String(id))
	if dara.StringValue(d.Body.State) != "running" || dara.StringValue(d.Body.CurrentVersion) != "1.33.3-aliyun.1" {
		t.Fatalf("cluster after cancel: %s %s", dara.StringValue(d.Body.State), dara.StringValue(d.Body.CurrentVersion))
	}
}

// TestNodePoolUpgradeFirstBatch upgrades a subset of a pool with
// pause_policy FirstBatch: it pauses after the first batch and finishes
// after ResumeTask.
func TestNodePoolUpgradeFirstBatch(t *testing.T) {
	e := start(t, withSpeed(1000))
	c := e.acs3
	id := e.createCluster(t, c, "1.32.7-aliyun.1", nil, 5)
	up, err := c.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1"), MasterOnly: dara.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	watchStatus(t, c, id, nil)
	pools, _ := c.DescribeClusterNodePools(dara.String(id), &cs.DescribeClusterNodePoolsRequest{})
	pool := pools.Body.Nodepools[0].NodepoolInfo.NodepoolId
	nodes, _ := c.DescribeClusterNodes(dara.String(id), &cs.DescribeClusterNodesRequest{})
	var names []*string
	for _, n := range nodes.Body.Nodes[:4] {
		names = append(names, n.NodeName)
	}
	np, err := c.UpgradeClusterNodepool(dara.String(id), pool, &cs.UpgradeClusterNodepoolRequest{KubernetesVersion: dara.String("1.33.3-aliyun.1"),
		NodeNames: names, RollingPolicy: &cs.UpgradeClusterNodepoolRequestRollingPolicy{MaxParallelism: dara.Int32(2), PausePolicy: dara.String("FirstBatch")}})
	if err != nil {
		t.Fatal(err)
	}
	task := dara.StringValue(np.Body.TaskId)
	if task == "" || dara.StringValue(np.Body.RequestId) == "" || task == dara.StringValue(up.Body.TaskId) {
		t.Fatalf("UpgradeClusterNodepool answered %s", np.Body.String())
	}
	eventually(t, 30*time.Second, "paused after the first batch", func() error {
		if s := taskState(t, c, task); s != "paused" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	if n := eventCount(t, c, task, "NodeUpgraded"); n != 2 {
		t.Fatalf("%d nodes upgraded in the first batch", n)
	}
	if _, err := c.ResumeTask(dara.String(task)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "success", func() error {
		if s := taskState(t, c, task); s != "success" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	counts := nodeUpgradeCounts(t, c, task)
	for _, n := range names {
		if counts[dara.StringValue(n)] != 1 {
			t.Fatalf("node %s upgraded %d times, want once (%v)", dara.StringValue(n), counts[dara.StringValue(n)], counts)
		}
	}
	if len(counts) != 4 {
		t.Fatalf("nodes upgraded %v, want exactly the 4 named", counts)
	}
	tasks, err := c.DescribeClusterTasks(dara.String(id), &cs.DescribeClusterTasksRequest{PageSize: dara.Int32(2), PageNumber: dara.Int32(1)})
	if err != nil || len(tasks.Body.Tasks) != 2 || dara.Int64Value(tasks.Body.PageInfo.TotalCount) != 3 || dara.StringValue(tasks.Body.RequestId) == "" {
		t.Fatalf("DescribeClusterTasks: %v %v", tasks, err)
	}
	if dara.StringValue(tasks.Body.Tasks[0].TaskId) != task {
		t.Fatal("DescribeClusterTasks is not newest first")
	}
}

// TestFaultTags rehearses each simulator fault through the SDK.
func TestFaultTags(t *testing.T) {
	e := start(t, withSpeed(1000))
	c := e.acs3
	for _, tc := range []struct {
		tags       map[string]string
		final      string
		step, text string
	}{
		{map[string]string{"ackup.sim/precheck-fail": "DeprecatedAPIs"}, "fail", "pause", "DeprecatedAPIs"},
		{map[string]string{"ackup.sim/control-plane-fail": "true"}, "fail", "pause", "control plane"},
		{map[string]string{"ackup.sim/node-never-ready": "1"}, "fail", "pause", "did not become Ready"},
		{map[string]string{"ackup.sim/drain-blocked": "2", "ackup.sim/drain-blocked-seconds": "120"}, "success", "success", ""},
	} {
		t.Run(fmt.Sprint(tc.tags), func(t *testing.T) {
			id := e.createCluster(t, c, "1.32.7-aliyun.1", tc.tags, 2)
			if _, err := c.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")}); err != nil {
				t.Fatal(err)
			}
			blocked := false
			seen := watchStatus(t, c, id, func(b *cs.GetUpgradeStatusResponseBody) {
				if strings.Contains(dara.StringValue(b.UpgradeTask.Message), "PodDisruptionBudget") {
					blocked = true
				}
			})
			st, _ := c.GetUpgradeStatus(dara.String(id))
			if dara.StringValue(st.Body.Status) != tc.final || dara.StringValue(st.Body.UpgradeStep) != tc.step || !strings.Contains(dara.StringValue(st.Body.ErrorMessage), tc.text) {
				t.Fatalf("final status %s (seen %v)", st.Body.String(), seen)
			}
			if tc.final == "success" && !blocked {
				t.Fatal("the drain blocker never showed in upgrade_task.message")
			}
			if strings.Contains(tc.text, "DeprecatedAPIs") {
				chk, err := c.GetClusterCheck(dara.String(id), st.Body.PrecheckReportId)
				if err != nil || dara.StringValue(chk.Body.Status) != "Failed" {
					t.Fatalf("check report %v %v", chk, err)
				}
				d, _ := c.DescribeClusterDetail(dara.String(id))
				if dara.StringValue(d.Body.CurrentVersion) != "1.32.7-aliyun.1" {
					t.Fatal("a failed precheck changed the cluster")
				}
			}
		})
	}
}
