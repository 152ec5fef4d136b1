// Package executortest is the conformance suite of the executor seam: every
// implementation (the simulator, the Kubernetes executor against a real
// kube-apiserver) runs Run with a Harness and must pass it. The suite checks
// the contract of package executor as the engine relies on it: methods are
// idempotent and quick, repeated calls give the same answer without doing
// the work twice, a node goes cordon → drain → upgrade → Ready at the
// target → uncordon, a step that cannot succeed fails with
// executor.ErrStepFailed, and a drain blocked too long ends in
// executor.DrainTimeoutError with the cluster's policy. Each fault is
// injected on one node of several, so an implementation that ignores which
// node it was told about is caught.
package executortest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/upgrade"
)

// Harness supplies an executor implementation to the suite.
type Harness struct {
	// New returns a fresh cluster with the given number of Ready,
	// schedulable nodes, and the executor that upgrades it. Nodes must not
	// be shared with other environments.
	New func(t *testing.T, nodes int) *Env
}

// Env is one cluster under test.
type Env struct {
	Executor executor.Executor
	Cluster  upgrade.Cluster
	Nodes    []upgrade.Node
	// Target is the version (ACK form) the suite upgrades to.
	Target string
	// Poll is how much real time passes between two calls of an action
	// that is not Done: 0 for an executor whose progress is a function of
	// the step clock only (the simulator), a little for one that waits on
	// a real system. The suite advances its step clock by each result's
	// RetryAfter either way.
	Poll time.Duration
	// Deadline bounds the real time one action may take (default 1m).
	Deadline time.Duration

	// The observers below are nil where the implementation has no live
	// state to observe; the suite then skips the assertions that need them.

	// Cordoned reports whether a node is marked unschedulable.
	Cordoned func(t *testing.T, node string) bool
	// Version reports a node's kubelet version (any form).
	Version func(t *testing.T, node string) string
	// ActionRuns reports how many times the node's upgrade action ran.
	ActionRuns func(t *testing.T, node string) int

	// BreakNode makes a node NotReady (or otherwise makes the executor's
	// NodeReady check fail for it), changing env as needed. Required.
	BreakNode func(t *testing.T, env *Env, node string)
	// BlockDrainPDB makes the drain of a node block on a pod protected by a
	// PodDisruptionBudget that allows no disruption, changing env as
	// needed, and returns the pod and the budget as "namespace/name". Nil
	// where the implementation cannot arrange it; the suite then skips
	// the check.
	BlockDrainPDB func(t *testing.T, env *Env, node string) (pod, pdb string)
	// FailControlPlane makes the control plane's upgrade fail in a way
	// retrying cannot fix (its action fails), changing env as needed.
	// Required.
	FailControlPlane func(t *testing.T, env *Env)
	// BlockDrain makes a node's drain stay blocked past the executor's
	// drain timeout, configured with the given drain timeout policy
	// (executor.DrainPause, DrainSkip or DrainFail), changing env as
	// needed; other nodes must still drain. Required.
	BlockDrain func(t *testing.T, env *Env, node, policy string)
}

// start is the step clock's origin.
var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("ClusterCreate", func(t *testing.T) { testClusterCreate(t, h) })
	t.Run("CordonUncordonIdempotent", func(t *testing.T) { testCordon(t, h) })
	t.Run("DrainCompletes", func(t *testing.T) { testDrain(t, h) })
	t.Run("DrainBlockedNamesPodAndBudget", func(t *testing.T) { testDrainBlocked(t, h) })
	t.Run("NodeUpgradeReachesTarget", func(t *testing.T) { testNodeUpgrade(t, h) })
	t.Run("ControlPlaneUpgrade", func(t *testing.T) { testControlPlane(t, h) })
	t.Run("PrecheckHealthyAndRepeatable", func(t *testing.T) { testPrecheck(t, h) })
	t.Run("PrecheckReportsBrokenNode", func(t *testing.T) { testPrecheckFault(t, h) })
	t.Run("ControlPlaneFailureIsStepFailed", func(t *testing.T) { testControlPlaneFailure(t, h) })
	for _, policy := range []string{executor.DrainPause, executor.DrainSkip, executor.DrainFail} {
		t.Run("DrainTimeout/"+policy, func(t *testing.T) { testDrainTimeout(t, h, policy) })
	}
}

// clock is the suite's step clock.
type clock struct{ now time.Time }

func (c *clock) step(env *Env, started time.Time) executor.Step {
	return executor.Step{Cluster: env.Cluster, Target: env.Target, Started: started, Now: c.now}
}

// until calls f until it reports Done, advancing the step clock by each
// RetryAfter and waiting env.Poll of real time between calls; it fails the
// test on an error or when the deadline passes. It returns the step's start.
func until(t *testing.T, env *Env, c *clock, what string, f func(executor.Step) (executor.Result, error)) time.Time {
	t.Helper()
	started, _, err := drive(t, env, c, what, f)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return started
}

// drive calls f as until does, but stops at the first error and returns it
// with the step's start and the blockers reported on the way.
func drive(t *testing.T, env *Env, c *clock, what string, f func(executor.Step) (executor.Result, error)) (started time.Time, blockers []string, err error) {
	t.Helper()
	started = c.now
	deadline := env.Deadline
	if deadline <= 0 {
		deadline = time.Minute
	}
	timeout := time.After(deadline)
	for calls := 1; ; calls++ {
		r, err := f(c.step(env, started))
		if r.Blocker != "" {
			blockers = append(blockers, r.Blocker)
		}
		if err != nil {
			return started, blockers, err
		}
		if r.Done {
			return started, blockers, nil
		}
		if r.RetryAfter < 0 {
			t.Fatalf("%s: negative RetryAfter %s", what, r.RetryAfter)
		}
		c.now = c.now.Add(max(r.RetryAfter, time.Second))
		if env.Poll > 0 {
			select {
			case <-timeout:
				t.Fatalf("%s: not done after %s of real time and %d calls (last blocker: %q)", what, deadline, calls, r.Blocker)
			case <-time.After(env.Poll):
			}
		} else if calls > 10000 {
			t.Fatalf("%s: not done after %d calls (last blocker: %q)", what, calls, r.Blocker)
		}
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func testCordon(t *testing.T, h Harness) {
	env := h.New(t, 1)
	c := &clock{now: start}
	n := env.Nodes[0]
	for i := range 2 {
		if err := env.Executor.NodeCordon(ctx(t), c.step(env, c.now), n); err != nil {
			t.Fatalf("NodeCordon call %d: %v", i+1, err)
		}
		if env.Cordoned != nil && !env.Cordoned(t, n.Name) {
			t.Fatalf("after NodeCordon call %d, node %s is schedulable", i+1, n.Name)
		}
	}
	for i := range 2 {
		if err := env.Executor.NodeUncordon(ctx(t), c.step(env, c.now), n); err != nil {
			t.Fatalf("NodeUncordon call %d: %v", i+1, err)
		}
		if env.Cordoned != nil && env.Cordoned(t, n.Name) {
			t.Fatalf("after NodeUncordon call %d, node %s is still cordoned", i+1, n.Name)
		}
	}
}

func testDrain(t *testing.T, h Harness) {
	env := h.New(t, 1)
	c := &clock{now: start}
	n := env.Nodes[0]
	if err := env.Executor.NodeCordon(ctx(t), c.step(env, c.now), n); err != nil {
		t.Fatalf("NodeCordon: %v", err)
	}
	started := until(t, env, c, "NodeDrain", func(s executor.Step) (executor.Result, error) {
		return env.Executor.NodeDrain(ctx(t), s, n)
	})
	r, err := env.Executor.NodeDrain(ctx(t), c.step(env, started), n)
	if err != nil || !r.Done {
		t.Fatalf("NodeDrain after Done = %+v, %v; want Done again", r, err)
	}
}

// testDrainBlocked checks that a blocked drain says what blocks it, in
// words and as the pod and budget the engine reports as fields.
func testDrainBlocked(t *testing.T, h Harness) {
	env := h.New(t, 1)
	if env.BlockDrainPDB == nil {
		t.Skip("the implementation cannot block a drain on demand")
	}
	c := &clock{now: start}
	n := env.Nodes[0]
	pod, pdb := env.BlockDrainPDB(t, env, n.Name)
	if err := env.Executor.NodeCordon(ctx(t), c.step(env, c.now), n); err != nil {
		t.Fatalf("NodeCordon: %v", err)
	}
	r, err := env.Executor.NodeDrain(ctx(t), c.step(env, c.now), n)
	switch {
	case err != nil:
		t.Fatalf("NodeDrain: %v", err)
	case r.Done:
		t.Fatal("NodeDrain is done although a PodDisruptionBudget allows no disruption")
	case r.Blocker == "" || r.BlockedPod != pod || r.BlockingPDB != pdb:
		t.Fatalf("blocked drain = %+v; want a blocker naming pod %s and budget %s", r, pod, pdb)
	}
}

func testNodeUpgrade(t *testing.T, h Harness) {
	env := h.New(t, 1)
	c := &clock{now: start}
	n := env.Nodes[0]
	ex := env.Executor
	if err := ex.NodeCordon(ctx(t), c.step(env, c.now), n); err != nil {
		t.Fatalf("NodeCordon: %v", err)
	}
	until(t, env, c, "NodeDrain", func(s executor.Step) (executor.Result, error) { return ex.NodeDrain(ctx(t), s, n) })

	up := until(t, env, c, "NodeUpgrade", func(s executor.Step) (executor.Result, error) { return ex.NodeUpgrade(ctx(t), s, n) })
	for i := range 2 {
		r, err := ex.NodeUpgrade(ctx(t), c.step(env, up), n)
		if err != nil || !r.Done {
			t.Fatalf("NodeUpgrade repeated (%d) after Done = %+v, %v; want Done", i+1, r, err)
		}
	}
	if env.ActionRuns != nil {
		if got := env.ActionRuns(t, n.Name); got != 1 {
			t.Fatalf("the upgrade action of node %s ran %d times; want once however often NodeUpgrade is called", n.Name, got)
		}
	}

	n.Version = env.Target // as the engine records it
	ready := until(t, env, c, "NodeWaitReady", func(s executor.Step) (executor.Result, error) { return ex.NodeWaitReady(ctx(t), s, n) })
	r, err := ex.NodeWaitReady(ctx(t), c.step(env, ready), n)
	if err != nil || !r.Done {
		t.Fatalf("NodeWaitReady after Done = %+v, %v; want Done again", r, err)
	}
	if env.Version != nil {
		if got := env.Version(t, n.Name); !sameRelease(got, env.Target) {
			t.Fatalf("node %s reports version %s after NodeWaitReady; want %s", n.Name, got, env.Target)
		}
	}
	if err := ex.NodeUncordon(ctx(t), c.step(env, c.now), n); err != nil {
		t.Fatalf("NodeUncordon: %v", err)
	}
	if env.Cordoned != nil && env.Cordoned(t, n.Name) {
		t.Fatalf("node %s is still cordoned after NodeUncordon", n.Name)
	}
	if env.ActionRuns != nil {
		if got := env.ActionRuns(t, n.Name); got != 1 {
			t.Fatalf("the upgrade action of node %s ran %d times in all; want once", n.Name, got)
		}
	}
}

func testControlPlane(t *testing.T, h Harness) {
	env := h.New(t, 0)
	c := &clock{now: start}
	started := until(t, env, c, "ControlPlaneUpgrade", func(s executor.Step) (executor.Result, error) {
		return env.Executor.ControlPlaneUpgrade(ctx(t), s)
	})
	r, err := env.Executor.ControlPlaneUpgrade(ctx(t), c.step(env, started))
	if err != nil || !r.Done {
		t.Fatalf("ControlPlaneUpgrade after Done = %+v, %v; want Done again", r, err)
	}
}

// precheck runs Precheck to completion and returns its items.
func precheck(t *testing.T, env *Env, c *clock) []upgrade.CheckItem {
	t.Helper()
	var items []upgrade.CheckItem
	until(t, env, c, "Precheck", func(s executor.Step) (executor.Result, error) {
		its, r, err := env.Executor.Precheck(ctx(t), s, env.Nodes)
		items = its
		return r, err
	})
	return items
}

func testPrecheck(t *testing.T, h Harness) {
	env := h.New(t, 2)
	c := &clock{now: start}
	first := precheck(t, env, c)
	if len(first) == 0 {
		t.Fatal("Precheck returned no items")
	}
	for _, it := range first {
		if it.Name == "" || it.Status == "" || it.Level == "" {
			t.Errorf("item %+v lacks a name, status or level", it)
		}
		if it.Blocks(false) {
			t.Errorf("item %s failed on a healthy cluster: %s", it.Name, it.Message)
		}
	}
	second := precheck(t, env, c)
	if !slices.EqualFunc(first, second, func(a, b upgrade.CheckItem) bool { return a.Name == b.Name && a.Status == b.Status }) {
		t.Errorf("Precheck is not repeatable:\nfirst  %+v\nsecond %+v", first, second)
	}
}

func testClusterCreate(t *testing.T, h Harness) {
	env := h.New(t, 1)
	c := &clock{now: start}
	started := until(t, env, c, "ClusterCreate", func(s executor.Step) (executor.Result, error) {
		return env.Executor.ClusterCreate(ctx(t), s)
	})
	r, err := env.Executor.ClusterCreate(ctx(t), c.step(env, started))
	if err != nil || !r.Done {
		t.Fatalf("ClusterCreate after Done = %+v, %v; want Done again", r, err)
	}
}

// testPrecheckFault breaks the second of three nodes, so that an
// implementation that reports whichever node comes first is caught.
func testPrecheckFault(t *testing.T, h Harness) {
	env := h.New(t, 3)
	c := &clock{now: start}
	broken := env.Nodes[1].Name
	env.BreakNode(t, env, broken)
	items := precheck(t, env, c)
	for _, it := range items {
		if it.Name != "NodeReady" {
			continue
		}
		if it.Status != upgrade.ItemFailed || it.Level != upgrade.CheckLevelError {
			t.Fatalf("NodeReady = %s/%s (%s); want Failed at level error", it.Status, it.Level, it.Message)
		}
		if !slices.Contains(it.Objects, "node/"+broken) {
			t.Fatalf("NodeReady objects %v do not name node/%s", it.Objects, broken)
		}
		for _, n := range []upgrade.Node{env.Nodes[0], env.Nodes[2]} {
			if slices.Contains(it.Objects, "node/"+n.Name) {
				t.Fatalf("NodeReady objects %v name the healthy node/%s", it.Objects, n.Name)
			}
		}
		return
	}
	t.Fatalf("no NodeReady item among %+v", items)
}

func testControlPlaneFailure(t *testing.T, h Harness) {
	env := h.New(t, 0)
	env.FailControlPlane(t, env)
	c := &clock{now: start}
	_, _, err := drive(t, env, c, "ControlPlaneUpgrade", func(s executor.Step) (executor.Result, error) {
		return env.Executor.ControlPlaneUpgrade(ctx(t), s)
	})
	if !errors.Is(err, executor.ErrStepFailed) {
		t.Fatalf("a failing control plane upgrade ended with %v; want an error wrapping ErrStepFailed", err)
	}
	if err.Error() == "" {
		t.Fatal("the step failed without a message for the user")
	}
}

// testDrainTimeout blocks the drain of the second of two nodes: the first
// must still drain, and the second must time out with the policy asked for
// and a blocker that names the node.
func testDrainTimeout(t *testing.T, h Harness, policy string) {
	env := h.New(t, 2)
	free, blocked := env.Nodes[0], env.Nodes[1]
	env.BlockDrain(t, env, blocked.Name, policy)
	c := &clock{now: start}
	ex := env.Executor
	for _, n := range []upgrade.Node{free, blocked} {
		if err := ex.NodeCordon(ctx(t), c.step(env, c.now), n); err != nil {
			t.Fatalf("NodeCordon %s: %v", n.Name, err)
		}
	}
	until(t, env, c, "NodeDrain of the free node", func(s executor.Step) (executor.Result, error) { return ex.NodeDrain(ctx(t), s, free) })

	_, blockers, err := drive(t, env, c, "NodeDrain of the blocked node", func(s executor.Step) (executor.Result, error) {
		return ex.NodeDrain(ctx(t), s, blocked)
	})
	var dt *executor.DrainTimeoutError
	if !errors.As(err, &dt) {
		t.Fatalf("the blocked drain ended with %v; want a DrainTimeoutError", err)
	}
	if dt.Policy != policy || dt.Timeout <= 0 {
		t.Fatalf("DrainTimeoutError = %+v; want policy %s and the timeout", dt, policy)
	}
	if !strings.Contains(dt.Blocker, blocked.Name) {
		t.Fatalf("the timeout's blocker %q does not name node %s", dt.Blocker, blocked.Name)
	}
	if len(blockers) < 2 {
		t.Fatalf("the drain reported blockers %q; want the blocker shown while it waited, before the timeout", blockers)
	}
}

// sameRelease compares versions on major.minor.patch ("v1.34.1" and
// "1.34.1-aliyun.1" are the same release).
func sameRelease(a, b string) bool { return core(a) == core(b) }

func core(v string) string {
	if len(v) > 0 && v[0] == 'v' {
		v = v[1:]
	}
	for i, r := range v {
		if r == '-' || r == '+' {
			return v[:i]
		}
	}
	return v
}
