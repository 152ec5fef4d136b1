package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

// upgradeNodePoolRaw sends UpgradeClusterNodepool through the SDK's
// generic CallApi, signed like the typed call, with a body the v7.6.0 Go
// model cannot express (ignore_warning_check came with later SDKs). It
// returns the task id.
func upgradeNodePoolRaw(c *cs.Client, cluster, pool string, body map[string]any) (string, error) {
	params := &openapiutil.Params{
		Action: dara.String("UpgradeClusterNodepool"), Version: dara.String("2015-12-15"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/clusters/" + dara.PercentEncode(cluster) + "/nodepools/" + dara.PercentEncode(pool) + "/upgrade"),
		Method:   dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("ROA"),
		ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
	resp, err := c.CallApi(params, &openapiutil.OpenApiRequest{Body: openapiutil.ParseToMap(body)}, &dara.RuntimeOptions{})
	if err != nil {
		return "", err
	}
	b, _ := resp["body"].(map[string]any)
	id, _ := b["task_id"].(string)
	if id == "" {
		return "", fmt.Errorf("UpgradeClusterNodepool answered %v", resp["body"])
	}
	return id, nil
}

// masterOnly creates a cluster at from with one pool of n nodes and
// upgrades its control plane to to, leaving the nodes behind.
func (e *env) masterOnly(t *testing.T, c *cs.Client, from, to string, tags map[string]string, n int64) (cluster, pool string) {
	t.Helper()
	cluster = e.createCluster(t, c, from, tags, n)
	if _, err := c.UpgradeCluster(dara.String(cluster), &cs.UpgradeClusterRequest{NextVersion: dara.String(to), MasterOnly: dara.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	watchStatus(t, c, cluster, nil)
	if st, _ := c.GetUpgradeStatus(dara.String(cluster)); dara.StringValue(st.Body.Status) != "success" {
		t.Fatalf("control plane upgrade: %s", st.Body.String())
	}
	pools, err := c.DescribeClusterNodePools(dara.String(cluster), &cs.DescribeClusterNodePoolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return cluster, dara.StringValue(pools.Body.Nodepools[0].NodepoolInfo.NodepoolId)
}

// waitTask waits until a task ends and returns its final body.
func waitTask(t *testing.T, c *cs.Client, task string) *cs.DescribeTaskInfoResponseBody {
	t.Helper()
	var body *cs.DescribeTaskInfoResponseBody
	eventually(t, 60*time.Second, "task "+task+" ended", func() error {
		info, err := c.DescribeTaskInfo(dara.String(task))
		if err != nil {
			return err
		}
		body = info.Body
		switch s := dara.StringValue(body.State); s {
		case "success", "failed", "canceled":
			return nil
		default:
			return fmt.Errorf("state %s", s)
		}
	})
	return body
}

// TestNodePoolIgnoreWarningCheck fails the simulator's warning-level
// PodDisruptionBudget precheck item: UpgradeCluster reports it and goes
// on, UpgradeClusterNodepool stops on it and changes no node, and with
// ignore_warning_check it upgrades the pool.
func TestNodePoolIgnoreWarningCheck(t *testing.T) {
	e := start(t, withSpeed(1000))
	c := e.acs3
	const from, to = "1.32.7-aliyun.1", "1.33.3-aliyun.1"
	cluster, pool := e.masterOnly(t, c, from, to, map[string]string{"ackup.sim/precheck-fail": "PodDisruptionBudget"}, 2)

	task, err := c.UpgradeClusterNodepool(dara.String(cluster), dara.String(pool), &cs.UpgradeClusterNodepoolRequest{KubernetesVersion: dara.String(to)})
	if err != nil {
		t.Fatal(err)
	}
	failed := waitTask(t, c, dara.StringValue(task.Body.TaskId))
	if dara.StringValue(failed.State) != "failed" || failed.Error == nil || !strings.Contains(dara.StringValue(failed.Error.Message), "PodDisruptionBudget") {
		t.Fatalf("without ignore_warning_check: %s", failed.String())
	}
	nodes, _ := c.DescribeClusterNodes(dara.String(cluster), &cs.DescribeClusterNodesRequest{})
	if n := nodeUpgradeCounts(t, c, dara.StringValue(task.Body.TaskId)); len(n) != 0 || len(nodes.Body.Nodes) != 2 {
		t.Fatalf("a failed precheck upgraded nodes: %v", n)
	}

	id, err := upgradeNodePoolRaw(c, cluster, pool, map[string]any{"kubernetes_version": to, "ignore_warning_check": true})
	if err != nil {
		t.Fatal(err)
	}
	done := waitTask(t, c, id)
	if dara.StringValue(done.State) != "success" || done.Parameters["ignore_warning_check"] != true {
		t.Fatalf("with ignore_warning_check: %s", done.String())
	}
	if n := nodeUpgradeCounts(t, c, id); len(n) != 2 {
		t.Fatalf("nodes upgraded %v, want both", n)
	}
}

// TestNodePoolRollingPolicy drives rolling_policy as the newest SDKs
// document it: max_parallelism from 1 to 10 with 10 when absent,
// batch_interval 0 for no wait; what is refused says why and changes
// nothing.
func TestNodePoolRollingPolicy(t *testing.T) {
	e := start(t, withSpeed(1000))
	c := e.acs3
	const from, to = "1.32.7-aliyun.1", "1.33.3-aliyun.1"
	cluster, pool := e.masterOnly(t, c, from, to, nil, 12)

	refused := []struct {
		name   string
		policy *cs.UpgradeClusterNodepoolRequestRollingPolicy
		msg    string
	}{
		{"parallelism 11", &cs.UpgradeClusterNodepoolRequestRollingPolicy{MaxParallelism: dara.Int32(11)}, "rolling_policy.max_parallelism must be between 1 and 10, got 11"},
		{"parallelism 0", &cs.UpgradeClusterNodepoolRequestRollingPolicy{MaxParallelism: dara.Int32(0)}, "rolling_policy.max_parallelism must be between 1 and 10, got 0"},
		{"interval 3", &cs.UpgradeClusterNodepoolRequestRollingPolicy{BatchInterval: dara.Int32(3)}, "rolling_policy.batch_interval must be 0 (no wait) or between 5 and 120 minutes, got 3"},
		{"interval with FirstBatch", &cs.UpgradeClusterNodepoolRequestRollingPolicy{BatchInterval: dara.Int32(5), PausePolicy: dara.String("FirstBatch")},
			"rolling_policy.batch_interval is only allowed with rolling_policy.pause_policy NotPause"},
		{"unknown pause policy", &cs.UpgradeClusterNodepoolRequestRollingPolicy{PausePolicy: dara.String("Sometimes")},
			`rolling_policy.pause_policy "Sometimes" is not allowed; allowed values: FirstBatch, EveryBatch, NotPause`},
	}
	before := snapshot(t, c)
	for _, tc := range refused {
		e.clients(t, func(t *testing.T, c *cs.Client) {
			_, err := c.UpgradeClusterNodepool(dara.String(cluster), dara.String(pool), &cs.UpgradeClusterNodepoolRequest{
				KubernetesVersion: dara.String(to), RollingPolicy: tc.policy})
			se := sdkErr(t, err, "InvalidParameter", 400)
			if !strings.Contains(dara.StringValue(se.Message), tc.msg) {
				t.Errorf("%s: message %q, want it to say %q", tc.name, dara.StringValue(se.Message), tc.msg)
			}
		})
	}
	if after := snapshot(t, c); after != before {
		t.Fatalf("a refused request changed the store:\nbefore %s\nafter  %s", before, after)
	}

	// Absent max_parallelism is ACK's default of 10: 12 nodes go in two
	// batches; batch_interval 0 waits not at all.
	task, err := c.UpgradeClusterNodepool(dara.String(cluster), dara.String(pool), &cs.UpgradeClusterNodepoolRequest{
		KubernetesVersion: dara.String(to), RollingPolicy: &cs.UpgradeClusterNodepoolRequestRollingPolicy{BatchInterval: dara.Int32(0), PausePolicy: dara.String("NotPause")}})
	if err != nil {
		t.Fatal(err)
	}
	id := dara.StringValue(task.Body.TaskId)
	done := waitTask(t, c, id)
	if dara.StringValue(done.State) != "success" || fmt.Sprint(done.Parameters["max_parallelism"]) != "10" {
		t.Fatalf("default parallelism: %s", done.String())
	}
	if n := eventCount(t, c, id, "BatchStart"); n != 2 {
		t.Fatalf("%d batches for 12 nodes at the default parallelism, want 2", n)
	}
}

// TestNodePoolMaxParallelismTen accepts the largest value.
func TestNodePoolMaxParallelismTen(t *testing.T) {
	e := start(t, withSpeed(1000))
	c := e.acs3
	cluster, pool := e.masterOnly(t, c, "1.32.7-aliyun.1", "1.33.3-aliyun.1", nil, 3)
	task, err := c.UpgradeClusterNodepool(dara.String(cluster), dara.String(pool), &cs.UpgradeClusterNodepoolRequest{
		KubernetesVersion: dara.String("1.33.3-aliyun.1"), RollingPolicy: &cs.UpgradeClusterNodepoolRequestRollingPolicy{MaxParallelism: dara.Int32(10)}})
	if err != nil {
		t.Fatal(err)
	}
	if done := waitTask(t, c, dara.StringValue(task.Body.TaskId)); dara.StringValue(done.State) != "success" || fmt.Sprint(done.Parameters["max_parallelism"]) != "10" {
		t.Fatalf("max_parallelism 10: %s", done.String())
	}
}

// describeTaskRaw reads DescribeTaskInfo through the SDK's CallApi, keeping
// the ackup_progress extension that the SDK's model drops.
func describeTaskRaw(t *testing.T, c *cs.Client, task string) map[string]any {
	t.Helper()
	params := &openapiutil.Params{
		Action: dara.String("DescribeTaskInfo"), Version: dara.String("2015-12-15"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/tasks/" + dara.PercentEncode(task)), Method: dara.String("GET"), AuthType: dara.String("AK"),
		Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
	resp, err := c.CallApi(params, &openapiutil.OpenApiRequest{}, &dara.RuntimeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := resp["body"].(map[string]any)
	return b
}

// TestDescribeTaskInfoProgress watches ackup_progress during an upgrade
// whose second node's drain is held by a PodDisruptionBudget: the blocker
// names the node, pod and budget as fields, and the counts end complete.
func TestDescribeTaskInfoProgress(t *testing.T) {
	e := start(t, withSpeed(200))
	c := e.acs3
	cluster := e.createCluster(t, c, "1.32.7-aliyun.1", map[string]string{"ackup.sim/drain-blocked": "2", "ackup.sim/drain-blocked-seconds": "300"}, 2)
	up, err := c.UpgradeCluster(dara.String(cluster), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
	if err != nil {
		t.Fatal(err)
	}
	task := dara.StringValue(up.Body.TaskId)
	var blocker map[string]any
	eventually(t, 60*time.Second, "the drain blocker in ackup_progress", func() error {
		p, _ := describeTaskRaw(t, c, task)["ackup_progress"].(map[string]any)
		if p == nil {
			return fmt.Errorf("no ackup_progress")
		}
		if blocker, _ = p["blocker"].(map[string]any); blocker == nil {
			return fmt.Errorf("no blocker in %v", p)
		}
		return nil
	})
	if blocker["pod"] != "default/web-0" || blocker["pdb"] != "default/web" || !strings.HasSuffix(fmt.Sprint(blocker["node"]), ".192.168.0.11") {
		t.Fatalf("blocker %v", blocker)
	}
	waitTask(t, c, task)
	p, _ := describeTaskRaw(t, c, task)["ackup_progress"].(map[string]any)
	if fmt.Sprint(p["nodes_total"]) != "2" || fmt.Sprint(p["nodes_done"]) != "2" || p["blocker"] != nil || fmt.Sprint(p["in_flight"]) != "[]" {
		t.Fatalf("ackup_progress at the end: %v", p)
	}
}
