package kube

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/upgrade"
)

// The tests that need a real API server share one per package run; they
// skip (or fail, under CI) unless ACKUP_KUBE_BIN names the binaries.
var shared kubetest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Stop()
	os.Exit(code)
}

// Versions the tests upgrade between.
const (
	fromKubelet = "v1.33.3"
	fromACK     = "1.33.3-aliyun.1"
	target      = "1.34.1-aliyun.1"
	targetKube  = "v1.34.1"
)

var envSeq atomic.Int64

// kubeEnv is one test's cluster on the shared API server: its own nodes,
// namespace and node agent.
type kubeEnv struct {
	srv     *kubetest.Server
	agent   *kubetest.Agent
	ex      *Executor
	cluster upgrade.Cluster
	nodes   []upgrade.Node
	ns      string
}

// newKubeEnv creates n Ready nodes at fromKubelet, a namespace, and an
// executor whose actions are the agent's commands and whose control plane
// version comes from the override ConfigMap (reset to fromKubelet). mod
// adjusts the configuration.
func newKubeEnv(t *testing.T, n int, mod func(*Config)) *kubeEnv {
	t.Helper()
	srv := shared.Get(t)
	ctx := t.Context()
	seq := envSeq.Add(1)
	e := &kubeEnv{srv: srv, agent: kubetest.StartAgent(t, srv.Client), ns: fmt.Sprintf("t%d", seq)}
	if err := kubetest.Namespace(ctx, srv.Client, e.ns); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.SetControlPlaneVersion(ctx, srv.Client, fromKubelet); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Kubeconfig:              srv.Kubeconfig,
		ControlPlaneAction:      Action{Type: kubecfg.ActionCommand, Name: kubetest.ControlPlaneAction},
		NodeAction:              Action{Type: kubecfg.ActionCommand, Name: kubetest.NodeAction},
		ControlPlaneVersionFrom: kubecfg.VersionFromConfigMap,
	}
	if mod != nil {
		mod(&cfg)
	}
	ex, err := New(cfg, Options{Actions: testActions(e.agent)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(ex.Close)
	e.ex = ex
	e.cluster = upgrade.Cluster{ID: upgrade.NewClusterID(), Name: e.ns, ClusterType: upgrade.TypeExternalKubernetes,
		CurrentVersion: fromACK, Executor: upgrade.ExecutorKube, State: upgrade.ClusterRunning}
	for i := range n {
		name := fmt.Sprintf("t%d-n%d", seq, i)
		if err := e.agent.AddNode(ctx, name, fromKubelet, nil); err != nil {
			t.Fatal(err)
		}
		e.nodes = append(e.nodes, upgrade.Node{ClusterID: e.cluster.ID, Name: name, InstanceID: name, Version: fromACK,
			Status: upgrade.NodeReady, State: "running"})
	}
	return e
}

// The failing actions every test environment declares besides its
// agent's.
const (
	failNode = "fail-node"
	failCP   = "fail-control-plane"
)

// testActions are the named actions of a test's server: the agent's and
// two that fail.
func testActions(agent *kubetest.Agent) kubecfg.Actions {
	return append(agent.Actions(),
		kubetest.FailAction(failNode, "kubeadm: preflight failed"),
		kubetest.FailAction(failCP, "etcd snapshot failed"))
}

// node returns the env's i-th node's name.
func (e *kubeEnv) node(i int) string { return e.nodes[i].Name }

// cordoned reports a node's live cordon state.
func (e *kubeEnv) cordoned(t *testing.T, name string) bool {
	t.Helper()
	n, err := e.srv.Client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Spec.Unschedulable
}

// kubelet reports a node's live kubelet version.
func (e *kubeEnv) kubelet(t *testing.T, name string) string {
	t.Helper()
	n, err := e.srv.Client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Status.NodeInfo.KubeletVersion
}

// stepClock is the step time the tests hand the executor, as the engine
// would; it advances by each result's RetryAfter.
type stepClock struct{ now time.Time }

func newClock() *stepClock { return &stepClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *stepClock) step(e *kubeEnv, started time.Time) executor.Step {
	return executor.Step{Cluster: e.cluster, Target: target, Started: started, Now: c.now}
}

// poll is the real time between two calls of an action that is not done.
const poll = 50 * time.Millisecond

// drive calls f until it reports Done or fails, advancing the step clock by
// RetryAfter and polling real time; pending sees every result that is not
// Done. It returns the last result and error.
func drive(t *testing.T, c *stepClock, what string, f func(executor.Step) (executor.Result, error), pending func(executor.Result)) (executor.Result, error) {
	t.Helper()
	started := c.now
	deadline := time.After(time.Minute)
	for calls := 1; ; calls++ {
		r, err := f(executor.Step{Started: started, Now: c.now})
		if err != nil || r.Done {
			return r, err
		}
		if pending != nil {
			pending(r)
		}
		c.now = c.now.Add(max(r.RetryAfter, time.Second))
		select {
		case <-deadline:
			t.Fatalf("%s: not done after a minute and %d calls; last blocker: %q", what, calls, r.Blocker)
		case <-time.After(poll):
		}
	}
}

// mustDrive is drive that fails the test on an error.
func mustDrive(t *testing.T, c *stepClock, what string, f func(executor.Step) (executor.Result, error), pending func(executor.Result)) {
	t.Helper()
	if _, err := drive(t, c, what, f, pending); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// withCluster completes a step the drive helper built with e's cluster and
// target.
func (e *kubeEnv) withCluster(s executor.Step) executor.Step {
	s.Cluster, s.Target = e.cluster, target
	return s
}

// itemNamed returns the check item called name.
func itemNamed(t *testing.T, items []upgrade.CheckItem, name string) upgrade.CheckItem {
	t.Helper()
	for _, it := range items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no %s item among %+v", name, items)
	return upgrade.CheckItem{}
}

// precheck runs the executor's Precheck once (it finishes in one call).
func (e *kubeEnv) precheck(t *testing.T, c *stepClock, nodes []upgrade.Node) []upgrade.CheckItem {
	t.Helper()
	items, r, err := e.ex.Precheck(t.Context(), c.step(e, c.now), nodes)
	if err != nil || !r.Done {
		t.Fatalf("Precheck = %+v, %v; want Done", r, err)
	}
	return items
}

// lacks reports which of the words s lacks.
func lacks(s string, words ...string) []string {
	var out []string
	for _, w := range words {
		if !strings.Contains(s, w) {
			out = append(out, w)
		}
	}
	return out
}

func isStepFailed(err error) bool { return errors.Is(err, executor.ErrStepFailed) }

// listAll lists everything.
var listAll = metav1.ListOptions{}

// clientcmdWrite renders a kubeconfig.
func clientcmdWrite(c *clientcmdapi.Config) ([]byte, error) { return clientcmd.Write(*c) }
