package kube

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
)

// TestRolloutHeldByPDB drives a whole upgrade of three nodes through the
// executor the way the engine does (precheck, control plane, then per node
// cordon → drain → upgrade → wait ready → uncordon), with a budget that
// blocks one node's drain until the test relaxes it.
func TestRolloutHeldByPDB(t *testing.T) {
	e := newKubeEnv(t, 3, nil)
	ctx, c, ns := t.Context(), e.srv.Client, e.ns
	if _, err := kubetest.ReplicatedPods(ctx, c, ns, "web", e.node(0), e.node(1), e.node(2)); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, ns, "web", "web", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := kubetest.ReplicatedPods(ctx, c, ns, "db", e.node(1)); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, ns, "db", "db", 0); err != nil {
		t.Fatal(err)
	}
	clock := newClock()

	items := e.precheck(t, clock, e.nodes)
	for _, it := range items {
		if it.Status == statusFailed && it.Level == levelError {
			t.Fatalf("precheck item %s failed: %s", it.Name, it.Message)
		}
	}
	drainItem := itemNamed(t, items, CheckDrainability)
	predicted := nodesIn(drainItem.Objects)
	if want := []string{e.node(1)}; !slices.Equal(predicted, want) {
		t.Fatalf("drainability predicts %v blocking (%s); want %v", predicted, drainItem.Message, want)
	}

	mustDrive(t, clock, "ControlPlaneUpgrade", func(s executor.Step) (executor.Result, error) {
		return e.ex.ControlPlaneUpgrade(ctx, e.withCluster(s))
	}, nil)
	live, err := e.ex.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if live.ServerVersion != target {
		t.Fatalf("after the control plane step the cluster reports %s; want %s", live.ServerVersion, target)
	}
	e.cluster.CurrentVersion = target

	var blockedOn []string
	for _, n := range e.nodes {
		if err := e.ex.NodeCordon(ctx, clock.step(e, clock.now), n); err != nil {
			t.Fatal(err)
		}
		relaxed := false
		mustDrive(t, clock, "drain "+n.Name, func(s executor.Step) (executor.Result, error) {
			return e.ex.NodeDrain(ctx, e.withCluster(s), n)
		}, func(r executor.Result) {
			if r.Blocker == "" || relaxed {
				return
			}
			blockedOn = append(blockedOn, n.Name)
			if miss := lacks(r.Blocker, "node "+n.Name, "pod "+ns+"/db-0", "PodDisruptionBudget "+ns+"/db", "allows 0 disruptions"); len(miss) > 0 {
				t.Fatalf("blocker %q lacks %v", r.Blocker, miss)
			}
			if r.BlockedPod != ns+"/db-0" || r.BlockingPDB != ns+"/db" {
				t.Fatalf("blocked pod %q and budget %q, want %s/db-0 and %s/db", r.BlockedPod, r.BlockingPDB, ns, ns)
			}
			if err := kubetest.SetPDBAllowed(ctx, c, ns, "db", 1); err != nil {
				t.Fatal(err)
			}
			relaxed = true
		})
		mustDrive(t, clock, "upgrade "+n.Name, func(s executor.Step) (executor.Result, error) {
			return e.ex.NodeUpgrade(ctx, e.withCluster(s), n)
		}, nil)
		n.Version = target
		mustDrive(t, clock, "wait ready "+n.Name, func(s executor.Step) (executor.Result, error) {
			return e.ex.NodeWaitReady(ctx, e.withCluster(s), n)
		}, nil)
		if err := e.ex.NodeUncordon(ctx, clock.step(e, clock.now), n); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(blockedOn, predicted) {
		t.Fatalf("drains blocked on %v; the precheck predicted %v", blockedOn, predicted)
	}

	live, err = e.ex.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range live.Nodes {
		if !strings.HasPrefix(ln.Name, e.ns+"-") {
			continue
		}
		if ln.KubeletVersion != targetKube || !ln.Ready || ln.Unschedulable || ln.Version != target {
			t.Errorf("node %s after the rollout: %+v; want Ready, schedulable, at %s", ln.Name, ln, targetKube)
		}
		if runs := e.agent.CommandRuns(ln.Name); runs != 1 {
			t.Errorf("node %s: the upgrade command ran %d times; want once", ln.Name, runs)
		}
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, listAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 0 {
		t.Errorf("%d pods left after draining every node", len(pods.Items))
	}
}

// TestDrainTimeoutPolicies checks that a drain blocked past the timeout
// reports DrainTimeoutError with the configured policy and the blocker.
func TestDrainTimeoutPolicies(t *testing.T) {
	for _, policy := range []string{executor.DrainPause, executor.DrainSkip, executor.DrainFail} {
		t.Run(policy, func(t *testing.T) {
			e := newKubeEnv(t, 1, func(c *Config) { c.DrainTimeout, c.DrainTimeoutPolicy = time.Minute, policy })
			ctx, c, ns := t.Context(), e.srv.Client, e.ns
			if _, err := kubetest.ReplicatedPods(ctx, c, ns, "db", e.node(0)); err != nil {
				t.Fatal(err)
			}
			if err := kubetest.PDB(ctx, c, ns, "db", "db", 0); err != nil {
				t.Fatal(err)
			}
			clock := newClock()
			n := e.nodes[0]
			if err := e.ex.NodeCordon(ctx, clock.step(e, clock.now), n); err != nil {
				t.Fatal(err)
			}
			sawBlocker := false
			_, err := drive(t, clock, "drain", func(s executor.Step) (executor.Result, error) {
				return e.ex.NodeDrain(ctx, e.withCluster(s), n)
			}, func(r executor.Result) { sawBlocker = sawBlocker || r.Blocker != "" })
			var dt *executor.DrainTimeoutError
			if !errors.As(err, &dt) {
				t.Fatalf("drain ended with %v; want a DrainTimeoutError", err)
			}
			if dt.Policy != policy || dt.Timeout != time.Minute {
				t.Fatalf("DrainTimeoutError = %+v; want policy %s, timeout 1m", dt, policy)
			}
			if miss := lacks(dt.Blocker, "node "+n.Name, "pod "+ns+"/db-0", "PodDisruptionBudget "+ns+"/db"); len(miss) > 0 {
				t.Fatalf("timeout blocker %q lacks %v", dt.Blocker, miss)
			}
			if !sawBlocker {
				t.Fatal("the drain showed no blocker while it waited")
			}
		})
	}
}
