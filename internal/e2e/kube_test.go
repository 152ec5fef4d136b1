package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ackup/ackup/internal/executor/kube"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/server"
)

// These tests register a real kube-apiserver's cluster through ackup's
// RegisterCluster extension (the SDK's generic CallApi, signed like every
// call) and then use nothing but the official SDK's operations, as a user
// would. The node agent of kubetest plays the kubelets, and the upgrade
// actions are its named actions. One API server serves every subtest in turn:
// each brings its own nodes and namespace and deletes its nodes at the end,
// since a registered cluster is every node of its API server.

// Versions the upgrades go between: the control plane's version comes from
// the override ConfigMap (a test cannot swap its kube-apiserver binary).
const (
	kubeFrom      = "v1.33.3"
	kubeFromACK   = "1.33.3-aliyun.1"
	kubeTarget    = "v1.34.1"
	kubeTargetACK = "1.34.1-aliyun.1"
	kubePoolLabel = "example.com/pool"
	kubeDeadline  = 90 * time.Second
)

// kubeEnv is the API server and the ackup server every subtest shares.
// The server declares the agents' actions, writing under actions (each
// subtest's agent takes that directory in turn), and those of
// securityActions.
type kubeEnv struct {
	*env
	kube    *kubetest.Server
	logs    *syncBuffer
	actions string
}

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func withLogger(l *slog.Logger) envOpt { return func(c *server.Config) { c.Logger = l } }

func TestKubeRegisteredCluster(t *testing.T) {
	k := &kubeEnv{kube: kubetest.StartT(t), logs: &syncBuffer{}, actions: t.TempDir()}
	var out io.Writer = k.logs
	if testing.Verbose() {
		out = io.MultiWriter(k.logs, os.Stderr)
	}
	actions := append(kubetest.AgentActions(k.actions), securityActions(k.actions)...)
	k.env = start(t, withLogger(slog.New(slog.NewTextHandler(out, nil))), func(c *server.Config) { c.Actions = actions })

	t.Run("DescribeReflectsTheLiveCluster", k.testDescribe)
	t.Run("CleanRollout", k.testCleanRollout)
	t.Run("RolloutHeldByPDB", k.testHeldByPDB)
	t.Run("PauseAndCancel", k.testPauseAndCancel)
	t.Run("PrecheckPredictsTheBlockedNodes", k.testPrecheckPredicts)
	t.Run("UserKubeconfigHoldsNoCredential", k.testUserKubeconfigHoldsNoCredential)
	t.Run("KubeconfigExecRefused", k.testExecRefused)
	t.Run("KubeconfigAuthProviderRefused", k.testAuthProviderRefused)
	t.Run("RawCommandRefused", k.testRawCommandRefused)
	t.Run("UnknownActionRefused", k.testUnknownActionRefused)
	t.Run("UnreachableSaysWhyWithoutEcho", k.testUnreachableWithoutEcho)
	t.Run("ActionSeesOnlyItsEnvironment", k.testActionEnvironment)

	// The kubeconfig's credential is in no log line and not in the clear
	// in the database.
	token := k.kube.Config.BearerToken
	if token == "" {
		t.Fatal("the test API server's kubeconfig has no token to look for")
	}
	if strings.Contains(k.logs.String(), token) {
		t.Error("the server's log holds the kubeconfig's token")
	}
	for _, f := range []string{k.dbPath, k.dbPath + "-wal"} {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the kubeconfig's token in the clear", f)
		}
	}
}

// node is a node a subtest creates: its name, pool label and kubelet.
type node struct{ name, pool, version string }

// setup is one subtest's part of the API server: a node agent, the nodes
// (deleted at the end, after the agent stops), a namespace, and the
// control plane's override version set to kubeFrom.
func (k *kubeEnv) setup(t *testing.T, ns string, nodes ...node) *kubetest.Agent {
	t.Helper()
	ctx, c := t.Context(), k.kube.Client
	// Cleanups run after t.Context() is done.
	t.Cleanup(func() {
		for _, n := range nodes {
			if err := c.CoreV1().Nodes().Delete(context.Background(), n.name, metav1.DeleteOptions{}); err != nil {
				t.Errorf("delete node %s: %v", n.name, err)
			}
		}
	})
	agent := kubetest.StartAgentIn(t, c, k.actions)
	if err := kubetest.Namespace(ctx, c, ns); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.SetControlPlaneVersion(ctx, c, kubeFrom); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		var labels map[string]string
		if n.pool != "" {
			labels = map[string]string{kubePoolLabel: n.pool}
		}
		if err := agent.AddNode(ctx, n.name, n.version, labels); err != nil {
			t.Fatal(err)
		}
	}
	return agent
}

// registerParams are RegisterCluster's, as the SDK's operations describe
// theirs to CallApi.
func registerParams() *openapiutil.Params {
	return &openapiutil.Params{
		Action: dara.String("RegisterCluster"), Version: dara.String("2015-12-15"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/api/ackup/v1/clusters"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
}

// register calls RegisterCluster through the SDK's CallApi and returns
// its body.
func register(c *cs.Client, body map[string]any) (map[string]any, error) {
	resp, err := c.CallApi(registerParams(), &openapiutil.OpenApiRequest{Body: openapiutil.ParseToMap(body)}, &dara.RuntimeOptions{})
	if err != nil {
		return nil, err
	}
	b, _ := resp["body"].(map[string]any)
	return b, nil
}

// registerAgent registers the API server as a cluster whose actions are
// the agent's named actions and whose control plane version comes from
// the override ConfigMap; kubernetes adds to or overrides that
// configuration.
func (k *kubeEnv) registerAgent(t *testing.T, c *cs.Client, name string, _ *kubetest.Agent, kubernetes map[string]any) string {
	t.Helper()
	cfg := map[string]any{
		"pool_label":                 kubePoolLabel,
		"control_plane_action":       map[string]any{"type": "command", "name": kubetest.ControlPlaneAction},
		"node_action":                map[string]any{"type": "command", "name": kubetest.NodeAction, "timeout": "5m"},
		"control_plane_version_from": "configmap",
		"drain_timeout":              "1h",
	}
	for key, v := range kubernetes {
		cfg[key] = v
	}
	body, err := register(c, map[string]any{"name": name, "kubeconfig": string(k.kube.Kubeconfig), "kubernetes": cfg})
	if err != nil {
		t.Fatalf("RegisterCluster: %v", err)
	}
	id, _ := body["cluster_id"].(string)
	if id == "" || body["task_id"] == "" || body["request_id"] == "" {
		t.Fatalf("RegisterCluster answered %v", body)
	}
	return id
}

// rawNode is a node of DescribeClusterNodes with ackup's extensions, which
// the SDK's typed model leaves out.
type rawNode struct {
	NodeName       string `json:"node_name"`
	NodeStatus     string `json:"node_status"`
	NodepoolID     string `json:"nodepool_id"`
	State          string `json:"state"`
	KubeletVersion string `json:"kubelet_version"`
	Unschedulable  bool   `json:"unschedulable"`
}

// rawNodes reads DescribeClusterNodes through the SDK's CallApi, keeping
// the fields the typed model drops, by node name.
func rawNodes(t *testing.T, c *cs.Client, id string) map[string]rawNode {
	t.Helper()
	resp, err := c.CallApi(&openapiutil.Params{
		Action: dara.String("DescribeClusterNodes"), Version: dara.String("2015-12-15"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/clusters/" + dara.PercentEncode(id) + "/nodes"), Method: dara.String("GET"),
		AuthType: dara.String("AK"), Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}, &openapiutil.OpenApiRequest{Query: map[string]*string{"pageSize": dara.String("100")}}, &dara.RuntimeOptions{})
	if err != nil {
		t.Fatalf("DescribeClusterNodes: %v", err)
	}
	var body struct {
		Nodes []rawNode `json:"nodes"`
	}
	if err := dara.Convert(resp["body"], &body); err != nil {
		t.Fatal(err)
	}
	out := map[string]rawNode{}
	for _, n := range body.Nodes {
		out[n.NodeName] = n
	}
	return out
}

// waitUntil polls cond every 100ms until it returns nil or kubeDeadline
// passes.
func waitUntil(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(kubeDeadline)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, kubeDeadline, err)
		}
		<-tick.C
	}
}

// liveNode is a node as its API server has it: kubelet version and cordon.
func (k *kubeEnv) liveNode(t *testing.T, name string) (string, bool) {
	t.Helper()
	n, err := k.kube.Client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Status.NodeInfo.KubeletVersion, n.Spec.Unschedulable
}

// upgradeStatus reads GetUpgradeStatus.
func upgradeStatus(t *testing.T, c *cs.Client, id string) (status, message string) {
	t.Helper()
	//lint:ignore SA1019 deprecated in the SDK, but it is the view of a blocked drain that users poll
	st, err := c.GetUpgradeStatus(dara.String(id))
	if err != nil {
		t.Fatalf("GetUpgradeStatus: %v", err)
	}
	var msg string
	if st.Body.UpgradeTask != nil {
		msg = dara.StringValue(st.Body.UpgradeTask.Message)
	}
	return dara.StringValue(st.Body.Status), msg
}

// startUpgrade starts an upgrade to kubeTargetACK and returns its task id.
func startUpgrade(t *testing.T, c *cs.Client, id string, parallelism int32) string {
	t.Helper()
	req := &cs.UpgradeClusterRequest{NextVersion: dara.String(kubeTargetACK)}
	if parallelism > 0 {
		req.RollingPolicy = &cs.UpgradeClusterRequestRollingPolicy{MaxParallelism: dara.Int32(parallelism)}
	}
	up, err := c.UpgradeCluster(dara.String(id), req)
	if err != nil {
		t.Fatalf("UpgradeCluster: %v", err)
	}
	return dara.StringValue(up.Body.TaskId)
}

func (k *kubeEnv) testDescribe(t *testing.T) {
	ctx, c := t.Context(), k.acs3
	agent := k.setup(t, "describe",
		node{"d-blue-0", "blue", "v1.37.2"}, node{"d-blue-1", "blue", "v1.36.1"}, node{"d-plain", "", "v1.37.2"})
	// The control plane's version is the API server's own here.
	if err := k.kube.Client.CoreV1().ConfigMaps("kube-system").Delete(ctx, "ackup-control-plane", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := k.kube.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}

	// Refusals: no kubeconfig, and a kubeconfig whose server is not there.
	_, err = register(c, map[string]any{"name": "nothing"})
	sdkErr(t, err, "MissingParameter", 400)
	elsewhere := strings.ReplaceAll(string(k.kube.Kubeconfig), k.kube.URL, "https://127.0.0.1:1")
	_, err = register(c, map[string]any{"name": "elsewhere", "kubeconfig": elsewhere})
	se := sdkErr(t, err, "InvalidParameter", 400)
	if msg := dara.StringValue(se.Message); !strings.Contains(msg, "could not be reached") || !strings.Contains(msg, "connection was refused") || strings.Contains(msg, k.kube.Config.BearerToken) {
		t.Errorf("the refusal of an unreachable cluster says %q", msg)
	}

	body, err := register(c, map[string]any{"name": "live", "region_id": "cn-beijing", "kubeconfig": string(k.kube.Kubeconfig),
		"tags": []any{map[string]any{"key": "env", "value": "lab"}}, "kubernetes": map[string]any{"pool_label": kubePoolLabel}})
	if err != nil {
		t.Fatalf("RegisterCluster: %v", err)
	}
	id, _ := body["cluster_id"].(string)

	d, err := c.DescribeClusterDetail(dara.String(id))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dara.StringValue(d.Body.CurrentVersion), kube.ACKVersion(info.GitVersion); got != want || want != "1.37.2-aliyun.1" {
		t.Errorf("current_version %s; the API server reports %s (%s)", got, info.GitVersion, want)
	}
	if dara.StringValue(d.Body.ClusterType) != "ExternalKubernetes" || dara.StringValue(d.Body.State) != "running" ||
		dara.Int64Value(d.Body.Size) != 3 || dara.StringValue(d.Body.RegionId) != "cn-beijing" || len(d.Body.Tags) != 1 {
		t.Errorf("DescribeClusterDetail = %s", d.Body.String())
	}
	if strings.Contains(d.Body.String(), k.kube.Config.BearerToken) || strings.Contains(d.Body.String(), "kubeconfig") {
		t.Error("DescribeClusterDetail returns the kubeconfig")
	}
	tasks, err := c.DescribeClusterTasks(dara.String(id), &cs.DescribeClusterTasksRequest{})
	if err != nil || len(tasks.Body.Tasks) != 1 || strings.Contains(tasks.Body.String(), k.kube.Config.BearerToken) {
		t.Errorf("the registration's task: %v %v", tasks, err)
	}

	pools, err := c.DescribeClusterNodePools(dara.String(id), &cs.DescribeClusterNodePoolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	poolID := map[string]string{}
	for _, p := range pools.Body.Nodepools {
		name := dara.StringValue(p.NodepoolInfo.Name)
		poolID[name] = dara.StringValue(p.NodepoolInfo.NodepoolId)
		want := map[string]int64{"blue": 2, "default-nodepool": 1}[name]
		if got := dara.Int64Value(p.Status.TotalNodes); got != want || dara.Int64Value(p.Status.ServingNodes) != want {
			t.Errorf("pool %s: %d nodes, %d serving; want %d", name, got, dara.Int64Value(p.Status.ServingNodes), want)
		}
	}
	if len(poolID) != 2 || poolID["blue"] == "" || poolID["default-nodepool"] == "" {
		t.Fatalf("node pools %v; want blue (from the label) and default-nodepool", poolID)
	}

	typed, err := c.DescribeClusterNodes(dara.String(id), &cs.DescribeClusterNodesRequest{PageSize: dara.String("100")})
	if err != nil || len(typed.Body.Nodes) != 3 {
		t.Fatalf("DescribeClusterNodes = %v, %v", typed, err)
	}
	for _, n := range typed.Body.Nodes {
		if dara.StringValue(n.NodeStatus) != "Ready" || dara.StringValue(n.State) != "running" {
			t.Errorf("node %s: %s, %s; want Ready and running", dara.StringValue(n.NodeName), dara.StringValue(n.NodeStatus), dara.StringValue(n.State))
		}
	}
	want := map[string]rawNode{
		"d-blue-0": {NodeName: "d-blue-0", NodeStatus: "Ready", NodepoolID: poolID["blue"], State: "running", KubeletVersion: "1.37.2-aliyun.1"},
		"d-blue-1": {NodeName: "d-blue-1", NodeStatus: "Ready", NodepoolID: poolID["blue"], State: "running", KubeletVersion: "1.36.1-aliyun.1"},
		"d-plain":  {NodeName: "d-plain", NodeStatus: "Ready", NodepoolID: poolID["default-nodepool"], State: "running", KubeletVersion: "1.37.2-aliyun.1"},
	}
	if got := rawNodes(t, c, id); !mapsEqual(got, want) {
		t.Errorf("nodes %+v\nwant %+v", got, want)
	}

	// Cordon one node with client-go and take another's kubelet down: the
	// SDK's views follow.
	patch := []byte(`{"spec":{"unschedulable":true}}`)
	if _, err := k.kube.Client.CoreV1().Nodes().Patch(ctx, "d-blue-1", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := agent.SetReady(ctx, "d-plain", false); err != nil {
		t.Fatal(err)
	}
	want["d-blue-1"] = rawNode{NodeName: "d-blue-1", NodeStatus: "Ready", NodepoolID: poolID["blue"], State: "running", KubeletVersion: "1.36.1-aliyun.1", Unschedulable: true}
	want["d-plain"] = rawNode{NodeName: "d-plain", NodeStatus: "NotReady", NodepoolID: poolID["default-nodepool"], State: "running", KubeletVersion: "1.37.2-aliyun.1"}
	waitUntil(t, "the cordon and the NotReady node reflected", func() error {
		if got := rawNodes(t, c, id); !mapsEqual(got, want) {
			return fmt.Errorf("nodes %+v", got)
		}
		return nil
	})
	pools, err = c.DescribeClusterNodePools(dara.String(id), &cs.DescribeClusterNodePoolsRequest{NodepoolName: dara.String("blue")})
	if err != nil || len(pools.Body.Nodepools) != 1 {
		t.Fatalf("DescribeClusterNodePools blue = %v, %v", pools, err)
	}
	if st := pools.Body.Nodepools[0].Status; dara.Int64Value(st.HealthyNodes) != 2 || dara.Int64Value(st.ServingNodes) != 1 {
		t.Errorf("pool blue with a cordoned node: %s", st.String())
	}
	typed, err = c.DescribeClusterNodes(dara.String(id), &cs.DescribeClusterNodesRequest{NodepoolId: dara.String(poolID["default-nodepool"])})
	if err != nil || len(typed.Body.Nodes) != 1 || dara.StringValue(typed.Body.Nodes[0].NodeStatus) != "NotReady" {
		t.Errorf("DescribeClusterNodes of default-nodepool = %v, %v; want d-plain NotReady", typed, err)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (k *kubeEnv) testCleanRollout(t *testing.T) {
	ctx, c := t.Context(), k.v2 // the legacy signature, for once
	nodes := []node{{"c-0", "blue", kubeFrom}, {"c-1", "blue", kubeFrom}}
	agent := k.setup(t, "clean", nodes...)
	if _, err := kubetest.ReplicatedPods(ctx, k.kube.Client, "clean", "web", "c-0", "c-1"); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, k.kube.Client, "clean", "web", "web", 2); err != nil {
		t.Fatal(err)
	}
	id := k.registerAgent(t, c, "clean", agent, nil)
	d, err := c.DescribeClusterDetail(dara.String(id))
	if err != nil || dara.StringValue(d.Body.CurrentVersion) != kubeFromACK {
		t.Fatalf("before the upgrade: %v, %v; want %s", d, err, kubeFromACK)
	}

	task := startUpgrade(t, c, id, 2)
	seen := watchStatus(t, c, id, nil)
	if last := seen[len(seen)-1]; last != "success/success/Success" {
		t.Fatalf("GetUpgradeStatus went %v", seen)
	}
	if n := eventCount(t, c, task, "NodeDrained"); n != 2 {
		t.Errorf("%d NodeDrained events; want 2", n)
	}
	d, err = c.DescribeClusterDetail(dara.String(id))
	if err != nil || dara.StringValue(d.Body.CurrentVersion) != kubeTargetACK {
		t.Errorf("after the upgrade: %v, %v; want %s", d, err, kubeTargetACK)
	}
	for name, n := range rawNodes(t, c, id) {
		if n.KubeletVersion != kubeTargetACK || n.Unschedulable || n.NodeStatus != "Ready" {
			t.Errorf("node %s after the upgrade: %+v", name, n)
		}
	}
	for _, n := range nodes {
		if v, cordoned := k.liveNode(t, n.name); v != kubeTarget || cordoned {
			t.Errorf("live node %s: %s, cordoned %v; want %s, schedulable", n.name, v, cordoned, kubeTarget)
		}
		if runs := agent.CommandRuns(n.name); runs != 1 {
			t.Errorf("node %s: its command ran %d times; want once", n.name, runs)
		}
	}
	if runs := agent.CommandRuns("control-plane"); runs != 1 {
		t.Errorf("the control plane's command ran %d times; want once", runs)
	}
}

func (k *kubeEnv) testHeldByPDB(t *testing.T) {
	ctx, c := t.Context(), k.acs3
	agent := k.setup(t, "held", node{"h-0", "blue", kubeFrom}, node{"h-1", "blue", kubeFrom})
	if _, err := kubetest.ReplicatedPods(ctx, k.kube.Client, "held", "web", "h-0", "h-1"); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, k.kube.Client, "held", "web", "web", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := kubetest.ReplicatedPods(ctx, k.kube.Client, "held", "db", "h-1"); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, k.kube.Client, "held", "db", "db", 0); err != nil {
		t.Fatal(err)
	}
	id := k.registerAgent(t, c, "held", agent, nil)
	task := startUpgrade(t, c, id, 1)

	words := []string{"node h-1", "pod held/db-0", "PodDisruptionBudget held/db"}
	var message string
	waitUntil(t, "the drain of h-1 held by the budget", func() error {
		status, msg := upgradeStatus(t, c, id)
		if status != "running" || !strings.Contains(msg, "blocked: ") {
			return fmt.Errorf("status %s: %s", status, msg)
		}
		message = msg
		return nil
	})
	for _, w := range words {
		if !strings.Contains(message, w) {
			t.Errorf("upgrade_task.message %q does not name %q", message, w)
		}
	}
	// While held, h-0 is done, h-1 cordoned and still at its version.
	if v, cordoned := k.liveNode(t, "h-1"); v != kubeFrom || !cordoned {
		t.Errorf("held node h-1: %s, cordoned %v; want %s, cordoned", v, cordoned, kubeFrom)
	}
	if v, cordoned := k.liveNode(t, "h-0"); v != kubeTarget || cordoned {
		t.Errorf("node h-0 while h-1 is held: %s, cordoned %v", v, cordoned)
	}
	waitUntil(t, "the blocker recorded as an event", func() error {
		if n := eventCount(t, c, task, "NodeDrainBlocked"); n != 1 {
			return fmt.Errorf("%d NodeDrainBlocked events", n)
		}
		return nil
	})
	if status, msg := upgradeStatus(t, c, id); status != "running" || !strings.Contains(msg, "PodDisruptionBudget held/db") {
		t.Fatalf("the upgrade let go of the blocker by itself: %s: %s", status, msg)
	}

	if err := kubetest.SetPDBAllowed(ctx, k.kube.Client, "held", "db", 1); err != nil {
		t.Fatal(err)
	}
	if seen := watchStatus(t, c, id, nil); seen[len(seen)-1] != "success/success/Success" {
		t.Fatalf("GetUpgradeStatus went %v", seen)
	}
	if v, cordoned := k.liveNode(t, "h-1"); v != kubeTarget || cordoned {
		t.Errorf("h-1 after the budget was relaxed: %s, cordoned %v", v, cordoned)
	}
	if n := eventCount(t, c, task, "NodeDrainBlocked"); n != 1 {
		t.Errorf("%d NodeDrainBlocked events; want 1 (the blocker did not change)", n)
	}
}

func (k *kubeEnv) testPauseAndCancel(t *testing.T) {
	ctx, c := t.Context(), k.acs3
	nodes := []node{{"p-0", "blue", kubeFrom}, {"p-1", "blue", kubeFrom}, {"p-2", "blue", kubeFrom}}
	agent := k.setup(t, "pause", nodes...)
	if _, err := kubetest.ReplicatedPods(ctx, k.kube.Client, "pause", "web", "p-0", "p-1", "p-2"); err != nil {
		t.Fatal(err)
	}
	id := k.registerAgent(t, c, "pause", agent, nil)
	task := startUpgrade(t, c, id, 1)
	state := func() string { return taskState(t, c, task) }
	live := func() (atTarget int, cordoned []string) {
		for _, n := range nodes {
			v, cd := k.liveNode(t, n.name)
			if v == kubeTarget {
				atTarget++
			}
			if cd {
				cordoned = append(cordoned, n.name)
			}
		}
		return atTarget, cordoned
	}

	waitUntil(t, "a first node cordoned", func() error {
		if n := eventCount(t, c, task, "NodeCordoned"); n < 1 {
			return fmt.Errorf("%d nodes cordoned", n)
		}
		return nil
	})
	if _, err := c.PauseTask(dara.String(task)); err != nil {
		t.Fatalf("PauseTask: %v", err)
	}
	// A paused task finishes the node in flight and starts no other.
	waitUntil(t, "the pause, with the node in flight finished", func() error {
		if status, msg := upgradeStatus(t, c, id); status != "pause" || eventCount(t, c, task, "NodeUncordoned") != 1 {
			return fmt.Errorf("%s: %s", status, msg)
		}
		return nil
	})
	if s := state(); s != "paused" {
		t.Errorf("DescribeTaskInfo while paused: %s", s)
	}
	if at, cordoned := live(); at != 1 || len(cordoned) != 0 {
		t.Errorf("paused with %d nodes at %s and %v cordoned; want the one in flight finished and none cordoned", at, kubeTarget, cordoned)
	}
	if n := eventCount(t, c, task, "NodeCordoned"); n != 1 {
		t.Errorf("a paused task cordoned %d nodes; want 1", n)
	}

	if _, err := c.ResumeTask(dara.String(task)); err != nil {
		t.Fatalf("ResumeTask: %v", err)
	}
	waitUntil(t, "a second node cordoned", func() error {
		if n := eventCount(t, c, task, "NodeCordoned"); n < 2 {
			return fmt.Errorf("%d nodes cordoned", n)
		}
		return nil
	})
	if _, err := c.CancelTask(dara.String(task)); err != nil {
		t.Fatalf("CancelTask: %v", err)
	}
	waitUntil(t, "the cancel", func() error {
		if s := state(); s != "canceled" {
			return fmt.Errorf("task %s", s)
		}
		return nil
	})
	if at, cordoned := live(); at != 2 || len(cordoned) != 0 {
		t.Errorf("canceled with %d nodes at %s and %v cordoned; want 2 (the one in flight finished) and none cordoned", at, kubeTarget, cordoned)
	}
	for _, n := range nodes {
		if v, _ := k.liveNode(t, n.name); v == kubeFrom && agent.CommandRuns(n.name) != 0 {
			t.Errorf("node %s stayed at %s but its command ran", n.name, kubeFrom)
		}
	}
	if status, _ := upgradeStatus(t, c, id); status != "fail" {
		t.Errorf("GetUpgradeStatus after the cancel: %s; want fail", status)
	}
}

// blockedNode finds the nodes named in upgrade_task.message's blockers.
var blockedNode = regexp.MustCompile(`on node (\S+) cannot be evicted`)

func (k *kubeEnv) testPrecheckPredicts(t *testing.T) {
	ctx, c := t.Context(), k.acs3
	agent := k.setup(t, "predict", node{"k-0", "blue", kubeFrom}, node{"k-1", "blue", kubeFrom}, node{"k-2", "blue", kubeFrom})
	if _, err := kubetest.ReplicatedPods(ctx, k.kube.Client, "predict", "web", "k-0", "k-1", "k-2"); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, k.kube.Client, "predict", "web", "web", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := kubetest.ReplicatedPods(ctx, k.kube.Client, "predict", "db", "k-1", "k-2"); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, k.kube.Client, "predict", "db", "db", 0); err != nil {
		t.Fatal(err)
	}
	id := k.registerAgent(t, c, "predict", agent, nil)

	run, err := c.RunClusterCheck(dara.String(id), &cs.RunClusterCheckRequest{Type: dara.String("ClusterUpgrade"),
		Options: map[string]*string{"targetVersion": dara.String(kubeTargetACK)}})
	if err != nil {
		t.Fatalf("RunClusterCheck: %v", err)
	}
	chk, err := c.GetClusterCheck(dara.String(id), run.Body.CheckId)
	if err != nil {
		t.Fatalf("GetClusterCheck: %v", err)
	}
	var predicted []string
	found := false
	for _, items := range chk.Body.CheckItems {
		for _, it := range items {
			if it["name"] != "Drainability" {
				continue
			}
			found = true
			if it["status"] != "Warning" {
				t.Errorf("Drainability item %v; want a warning", it)
			}
			objects, _ := it["objects"].([]any)
			for _, o := range objects {
				if name, ok := strings.CutPrefix(fmt.Sprint(o), "node/"); ok {
					predicted = append(predicted, name)
				}
			}
		}
	}
	slices.Sort(predicted)
	if !found || !slices.Equal(predicted, []string{"k-1", "k-2"}) {
		t.Fatalf("the precheck predicts %v would block (item found: %v); want k-1 and k-2", predicted, found)
	}

	// All three nodes drain at once: exactly the predicted ones block.
	startUpgrade(t, c, id, 3)
	waitUntil(t, "the predicted nodes blocked and the other upgraded", func() error {
		_, msg := upgradeStatus(t, c, id)
		var blocked []string
		for _, m := range blockedNode.FindAllStringSubmatch(msg, -1) {
			if !slices.Contains(blocked, m[1]) {
				blocked = append(blocked, m[1])
			}
		}
		slices.Sort(blocked)
		if !slices.Equal(blocked, predicted) {
			return fmt.Errorf("blocked %v: %s", blocked, msg)
		}
		if v, cordoned := k.liveNode(t, "k-0"); v != kubeTarget || cordoned {
			return fmt.Errorf("k-0 is at %s, cordoned %v", v, cordoned)
		}
		return nil
	})
	if err := kubetest.SetPDBAllowed(ctx, k.kube.Client, "predict", "db", 2); err != nil {
		t.Fatal(err)
	}
	if seen := watchStatus(t, c, id, nil); seen[len(seen)-1] != "success/success/Success" {
		t.Fatalf("GetUpgradeStatus went %v", seen)
	}
}
