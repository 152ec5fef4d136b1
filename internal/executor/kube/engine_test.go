package kube_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackup/ackup/internal/engine"
	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

// These tests run the whole of ackup but the HTTP layer against a real
// kube-apiserver of their own: a cluster is registered from its live
// snapshot, upgraded by the engine through the Kubernetes executor, and the
// outcome is read both from the service and from the API server.

const (
	account    = "acct-e2e"
	fromK      = "v1.33.3"
	targetACK  = "1.34.1-aliyun.1"
	targetK    = "v1.34.1"
	poolLabel  = "ackup.io/nodepool"
	e2eTimeout = 90 * time.Second
)

// fakeClock is the engine's and service's clock: each look advances it, so
// that waits measured in step time (drain timeouts) pass quickly while the
// API server and node agent work in real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type e2e struct {
	srv     *kubetest.Server
	agent   *kubetest.Agent
	svc     *service.Service
	eng     *engine.Engine
	clock   *fakeClock
	cluster string
	ns      string
	nodes   []string
}

// newE2E starts an API server with nodes (pool → count), registers it as a
// cluster whose actions are the agent's commands, and wires service and
// engine on a SQLite store.
func newE2E(t *testing.T, pools map[string]int, mod func(*kubecfg.Config)) *e2e {
	t.Helper()
	ctx := t.Context()
	h := &e2e{srv: kubetest.StartT(t), clock: &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, ns: "apps"}
	h.agent = kubetest.StartAgent(t, h.srv.Client)
	if err := kubetest.Namespace(ctx, h.srv.Client, h.ns); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.SetControlPlaneVersion(ctx, h.srv.Client, fromK); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(pools))
	for p := range pools {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		for i := range pools[p] {
			name := fmt.Sprintf("%s-%d", p, i)
			if err := h.agent.AddNode(ctx, name, fromK, map[string]string{poolLabel: p}); err != nil {
				t.Fatal(err)
			}
			h.nodes = append(h.nodes, name)
		}
	}

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.NewBox(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	opts := kube.Options{Actions: h.agent.Actions()}
	cache := kube.NewCache(box.Open, opts)
	t.Cleanup(cache.Close)
	executorFor := func(c upgrade.Cluster) (executor.Executor, error) { return cache.Get(c) }
	if h.svc, err = service.New(service.Config{Store: st, Box: box, Executor: executorFor, Now: h.clock.Now}); err != nil {
		t.Fatal(err)
	}
	if h.eng, err = engine.New(engine.Config{Store: st, Executor: executorFor, Now: h.clock.Now}); err != nil {
		t.Fatal(err)
	}

	cfg := kubecfg.Config{
		ControlPlaneAction:      kubecfg.Action{Type: kubecfg.ActionCommand, Name: kubetest.ControlPlaneAction},
		NodeAction:              kubecfg.Action{Type: kubecfg.ActionCommand, Name: kubetest.NodeAction},
		ControlPlaneVersionFrom: kubecfg.VersionFromConfigMap,
		DrainTimeout:            time.Hour,
	}
	if mod != nil {
		mod(&cfg)
	}
	withKC := cfg
	withKC.Kubeconfig = h.srv.Kubeconfig
	live, err := opts.Snapshot(ctx, withKC)
	if err != nil {
		t.Fatal(err)
	}
	created, err := h.svc.RegisterCluster(ctx, account, service.RegisterParams{Name: "e2e", Kubeconfig: h.srv.Kubeconfig, Kube: cfg, Live: live})
	if err != nil {
		t.Fatal(err)
	}
	h.cluster = created.ClusterID
	return h
}

// task returns a task with its events.
func (h *e2e) task(t *testing.T, id string) service.TaskView {
	t.Helper()
	tv, err := h.svc.DescribeTask(context.Background(), account, id)
	if err != nil {
		t.Fatal(err)
	}
	return tv
}

// runUntil drives the engine until cond holds for the task, advancing the
// clock a second per look.
func (h *e2e) runUntil(t *testing.T, id, what string, cond func(service.TaskView) bool) service.TaskView {
	t.Helper()
	deadline := time.After(e2eTimeout)
	for {
		if _, err := h.eng.RunOnce(t.Context()); err != nil {
			t.Fatalf("engine pass: %v", err)
		}
		tv := h.task(t, id)
		if cond(tv) {
			return tv
		}
		if tv.State.Terminal() {
			t.Fatalf("waiting for %s, the task ended %s: %s (%s)", what, tv.State, tv.ErrorMessage, tv.Message)
		}
		h.clock.advance(time.Second)
		select {
		case <-deadline:
			t.Fatalf("%s did not happen within %s; task %s: %s", what, e2eTimeout, tv.State, tv.Message)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func countEvents(tv service.TaskView, reason string) int {
	n := 0
	for _, e := range tv.Events {
		if e.Reason == reason {
			n++
		}
	}
	return n
}

// liveNodes reads the nodes from the API server: kubelet version and cordon.
func (h *e2e) liveNodes(t *testing.T) map[string][2]string {
	t.Helper()
	list, err := h.srv.Client.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, n := range list.Items {
		out[n.Name] = [2]string{n.Status.NodeInfo.KubeletVersion, fmt.Sprint(n.Spec.Unschedulable)}
	}
	return out
}

func TestEngineCleanRollout(t *testing.T) {
	h := newE2E(t, map[string]int{"blue": 2, "green": 1}, nil)
	ctx := t.Context()
	if _, err := kubetest.ReplicatedPods(ctx, h.srv.Client, h.ns, "web", h.nodes...); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, h.srv.Client, h.ns, "web", "web", 3); err != nil {
		t.Fatal(err)
	}
	pools, err := h.svc.ListNodePools(ctx, account, h.cluster, "")
	if err != nil || len(pools) != 2 {
		t.Fatalf("registered pools = %+v, %v; want blue and green", pools, err)
	}
	id, err := h.svc.UpgradeCluster(ctx, account, h.cluster, service.UpgradeParams{NextVersion: targetACK, MaxParallelism: new(2)})
	if err != nil {
		t.Fatal(err)
	}
	tv := h.runUntil(t, id, "success", func(tv service.TaskView) bool { return tv.State == upgrade.TaskSuccess })
	if got := countEvents(tv, "NodeDrained"); got != 3 {
		t.Errorf("%d NodeDrained events; want 3", got)
	}
	c, err := h.svc.DescribeCluster(ctx, account, h.cluster)
	if err != nil || c.CurrentVersion != targetACK {
		t.Fatalf("cluster after the upgrade: %+v, %v", c.Cluster, err)
	}
	for name, st := range h.liveNodes(t) {
		if st != [2]string{targetK, "false"} {
			t.Errorf("live node %s = %v; want %s, schedulable", name, st, targetK)
		}
		if runs := h.agent.CommandRuns(name); runs != 1 {
			t.Errorf("node %s: the command ran %d times; want once", name, runs)
		}
	}
	if runs := h.agent.CommandRuns("control-plane"); runs != 1 {
		t.Errorf("the control plane command ran %d times; want once", runs)
	}
	nodes, _, err := h.svc.ListNodes(ctx, account, upgrade.NodeListParams{ClusterID: h.cluster})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Version != targetACK || n.Status != upgrade.NodeReady || n.Unschedulable {
			t.Errorf("recorded node %s = %+v", n.Name, n)
		}
	}
}

func TestEngineRolloutHeldByPDB(t *testing.T) {
	h := newE2E(t, map[string]int{"blue": 3}, nil)
	ctx, c := t.Context(), h.srv.Client
	if _, err := kubetest.ReplicatedPods(ctx, c, h.ns, "web", h.nodes...); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, h.ns, "web", "web", 3); err != nil {
		t.Fatal(err)
	}
	held := h.nodes[1]
	if _, err := kubetest.ReplicatedPods(ctx, c, h.ns, "db", held); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, h.ns, "db", "db", 0); err != nil {
		t.Fatal(err)
	}
	id, err := h.svc.UpgradeCluster(ctx, account, h.cluster, service.UpgradeParams{NextVersion: targetACK})
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"node " + held, "pod apps/db-0", "PodDisruptionBudget apps/db"}
	tv := h.runUntil(t, id, "the blocked drain", func(tv service.TaskView) bool {
		return strings.Contains(tv.Message, "blocked: ") && strings.Contains(tv.Message, "PodDisruptionBudget")
	})
	for _, w := range words {
		if !strings.Contains(tv.Message, w) {
			t.Errorf("upgrade_task.message %q does not name %q", tv.Message, w)
		}
	}
	blockedEvent := ""
	for _, e := range tv.Events {
		if e.Reason == "NodeDrainBlocked" {
			blockedEvent = e.Message
		}
	}
	for _, w := range words {
		if !strings.Contains(blockedEvent, w) {
			t.Errorf("NodeDrainBlocked event %q does not name %q", blockedEvent, w)
		}
	}
	// The precheck predicted exactly this node.
	chk, err := h.svc.GetCheck(ctx, account, h.cluster, tv.PrecheckID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range chk.Items {
		if it.Name != kube.CheckDrainability {
			continue
		}
		var predicted []string
		for _, o := range it.Objects {
			if name, ok := strings.CutPrefix(o, "node/"); ok {
				predicted = append(predicted, name)
			}
		}
		if !slices.Equal(predicted, []string{held}) {
			t.Errorf("the precheck predicted %v would block (%s); the drain blocked on %s", predicted, it.Message, held)
		}
	}
	// It stays held while the budget allows nothing.
	for range 20 {
		h.clock.advance(10 * time.Second)
		if _, err := h.eng.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if tv := h.task(t, id); tv.State != upgrade.TaskRunning || !strings.Contains(tv.Message, "blocked:") {
		t.Fatalf("after more passes the task is %s: %s; want still running and blocked", tv.State, tv.Message)
	}
	if err := kubetest.SetPDBAllowed(ctx, c, h.ns, "db", 1); err != nil {
		t.Fatal(err)
	}
	tv = h.runUntil(t, id, "success", func(tv service.TaskView) bool { return tv.State == upgrade.TaskSuccess })
	if st := h.liveNodes(t)[held]; st != [2]string{targetK, "false"} {
		t.Errorf("held node after the upgrade = %v", st)
	}
	if got := countEvents(tv, "NodeDrainBlocked"); got != 1 {
		t.Errorf("%d NodeDrainBlocked events; want 1 (the blocker did not change)", got)
	}
}

func TestEnginePauseAndCancel(t *testing.T) {
	h := newE2E(t, map[string]int{"blue": 4}, nil)
	ctx := t.Context()
	if _, err := kubetest.ReplicatedPods(ctx, h.srv.Client, h.ns, "web", h.nodes...); err != nil {
		t.Fatal(err)
	}
	id, err := h.svc.UpgradeCluster(ctx, account, h.cluster, service.UpgradeParams{NextVersion: targetACK, MaxParallelism: new(1)})
	if err != nil {
		t.Fatal(err)
	}
	upgraded := func(tv service.TaskView) int { return countEvents(tv, "NodeUncordoned") }
	h.runUntil(t, id, "a first node", func(tv service.TaskView) bool { return countEvents(tv, "NodeCordoned") >= 1 })
	if err := h.svc.PauseTask(ctx, account, id); err != nil {
		t.Fatal(err)
	}
	tv := h.runUntil(t, id, "the pause", func(tv service.TaskView) bool {
		return tv.State == upgrade.TaskPaused && strings.Contains(tv.Message, "resume with ResumeTask")
	})
	done := upgraded(tv)
	if done != 1 {
		t.Fatalf("paused with %d nodes upgraded; want the node in flight finished (1)", done)
	}
	for range 10 {
		h.clock.advance(time.Minute)
		if _, err := h.eng.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if tv := h.task(t, id); tv.State != upgrade.TaskPaused || upgraded(tv) != done || countEvents(tv, "NodeCordoned") != done {
		t.Fatalf("a paused task went on: %s, %d upgraded", tv.State, upgraded(tv))
	}
	for name, st := range h.liveNodes(t) {
		if st[1] != "false" {
			t.Errorf("node %s is cordoned while the task is paused", name)
		}
	}

	if err := h.svc.ResumeTask(ctx, account, id); err != nil {
		t.Fatal(err)
	}
	h.runUntil(t, id, "a second node", func(tv service.TaskView) bool { return countEvents(tv, "NodeCordoned") >= 2 })
	if err := h.svc.CancelTask(ctx, account, id); err != nil {
		t.Fatal(err)
	}
	tv = h.runUntil(t, id, "the cancel", func(tv service.TaskView) bool { return tv.State == upgrade.TaskCanceled })
	if upgraded(tv) != 2 {
		t.Errorf("canceled with %d nodes upgraded; want 2 (the one in flight finished)", upgraded(tv))
	}
	atTarget := 0
	for name, st := range h.liveNodes(t) {
		if st[1] != "false" {
			t.Errorf("node %s is left cordoned after the cancel", name)
		}
		switch st[0] {
		case targetK:
			atTarget++
		case fromK:
			if runs := h.agent.CommandRuns(name); runs != 0 {
				t.Errorf("node %s was not upgraded but its command ran %d times", name, runs)
			}
		}
	}
	if atTarget != 2 {
		t.Errorf("%d live nodes at %s after the cancel; want 2", atTarget, targetK)
	}
}

func TestEngineDrainTimeoutSkip(t *testing.T) {
	h := newE2E(t, map[string]int{"blue": 2}, func(c *kubecfg.Config) {
		c.DrainTimeout, c.DrainTimeoutPolicy = time.Minute, kubecfg.DrainSkip
	})
	ctx, c := t.Context(), h.srv.Client
	stuck := h.nodes[0]
	if _, err := kubetest.ReplicatedPods(ctx, c, h.ns, "db", stuck); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, h.ns, "db", "db", 0); err != nil {
		t.Fatal(err)
	}
	id, err := h.svc.UpgradeCluster(ctx, account, h.cluster, service.UpgradeParams{NextVersion: targetACK})
	if err != nil {
		t.Fatal(err)
	}
	tv := h.runUntil(t, id, "success", func(tv service.TaskView) bool { return tv.State == upgrade.TaskSuccess })
	if countEvents(tv, "NodeSkipped") != 1 || countEvents(tv, "NodeDrainTimeout") != 1 {
		t.Errorf("events lack one NodeDrainTimeout and one NodeSkipped: %+v", tv.Events)
	}
	live := h.liveNodes(t)
	if live[stuck] != [2]string{fromK, "false"} {
		t.Errorf("skipped node %s = %v; want left at %s and uncordoned", stuck, live[stuck], fromK)
	}
	if live[h.nodes[1]] != [2]string{targetK, "false"} {
		t.Errorf("node %s = %v; want upgraded", h.nodes[1], live[h.nodes[1]])
	}
}
