package sim_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/executortest"
	"github.com/ackup/ackup/internal/executor/sim"
	"github.com/ackup/ackup/internal/upgrade"
)

// TestConformance runs the executor conformance suite on the simulator,
// whose time is the step clock only. Faults go in as the fault tags a user
// would set, and the observers read what the simulator says its calls did.
func TestConformance(t *testing.T) {
	t.Parallel()
	executortest.Run(t, executortest.Harness{New: func(t *testing.T, nodes int) *executortest.Env {
		c := upgrade.Cluster{ID: upgrade.NewClusterID(), Name: "conformance", RegionID: "cn-hangzhou",
			CurrentVersion: "1.33.3-aliyun.1", Executor: upgrade.ExecutorSim, State: upgrade.ClusterRunning}
		ex := &sim.Executor{Speed: 1}
		env := &executortest.Env{Executor: ex, Cluster: c, Target: "1.34.1-aliyun.1", Deadline: time.Minute}
		ids := map[string]string{}
		for i := range nodes {
			n := upgrade.Node{ClusterID: c.ID, Name: fmt.Sprintf("node-%d", i), IP: upgrade.NodeIP(i),
				InstanceID: upgrade.NewInstanceID(), Version: c.CurrentVersion, Status: upgrade.NodeReady, State: "running"}
			ids[n.Name] = n.InstanceID
			env.Nodes = append(env.Nodes, n)
		}
		state := func(t *testing.T, node string) sim.NodeState {
			id, ok := ids[node]
			if !ok {
				t.Fatalf("no node %s", node)
			}
			st, _ := ex.Node(id)
			return st
		}
		env.Cordoned = func(t *testing.T, node string) bool { return state(t, node).Cordoned }
		env.Version = func(t *testing.T, node string) string {
			if v := state(t, node).Version; v != "" {
				return v
			}
			return c.CurrentVersion
		}
		tag := func(env *executortest.Env, k, v string) {
			env.Cluster.Tags = append(env.Cluster.Tags, upgrade.Tag{Key: k, Value: v})
		}
		env.BreakNode = func(_ *testing.T, env *executortest.Env, node string) { tag(env, upgrade.FaultNodeNotReady, node) }
		env.FailControlPlane = func(_ *testing.T, env *executortest.Env) { tag(env, upgrade.FaultControlPlaneFail, "true") }
		env.BlockDrain = func(_ *testing.T, env *executortest.Env, node, policy string) {
			tag(env, upgrade.FaultDrainBlocked, node)
			tag(env, upgrade.FaultDrainTimeout, policy)
		}
		env.BlockDrainPDB = func(_ *testing.T, env *executortest.Env, node string) (string, string) {
			env.Cluster.Tags = append(env.Cluster.Tags, upgrade.Tag{Key: upgrade.FaultDrainBlocked, Value: node})
			return "default/web-0", "default/web"
		}
		env.Deadline = time.Minute
		return env
	}})
}

// TestFaultsFireOnTheFirstAttemptUnlessAlways holds the retry rule of the
// fault tags: a retried step runs without the fault, unless its value ends
// in ";always" (or is "always" for the control plane).
func TestFaultsFireOnTheFirstAttemptUnlessAlways(t *testing.T) {
	t.Parallel()
	ex := &sim.Executor{Speed: 1}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	node := upgrade.Node{Name: "n2", IP: upgrade.NodeIP(1)}
	failsOn := func(key, value string, attempt int) (precheck, cp, ready bool) {
		c := upgrade.Cluster{ID: "c1", CurrentVersion: "1.33.3-aliyun.1", Tags: []upgrade.Tag{{Key: key, Value: value}}}
		s := executor.Step{Cluster: c, Target: "1.34.1-aliyun.1", Started: start, Now: start.Add(time.Hour), Attempt: attempt}
		items, _, _ := ex.Precheck(context.Background(), s, []upgrade.Node{node})
		for _, it := range items {
			precheck = precheck || it.Status == "Failed"
		}
		_, err := ex.ControlPlaneUpgrade(context.Background(), s)
		_, rerr := ex.NodeWaitReady(context.Background(), s, node)
		return precheck, errors.Is(err, executor.ErrStepFailed), errors.Is(rerr, executor.ErrStepFailed)
	}
	for _, tc := range []struct {
		key, value          string
		attempt             int
		precheck, cp, ready bool
	}{
		{upgrade.FaultPrecheckFail, "NodeDiskPressure", 0, true, false, false},
		{upgrade.FaultPrecheckFail, "NodeDiskPressure", 1, false, false, false},
		{upgrade.FaultPrecheckFail, "NodeDiskPressure;always", 2, true, false, false},
		{upgrade.FaultControlPlaneFail, "true", 0, false, true, false},
		{upgrade.FaultControlPlaneFail, "true", 1, false, false, false},
		{upgrade.FaultControlPlaneFail, "always", 1, false, true, false},
		{upgrade.FaultControlPlaneFail, "true;always", 3, false, true, false},
		{upgrade.FaultNodeNeverReady, "2", 0, false, false, true},
		{upgrade.FaultNodeNeverReady, "2", 1, false, false, false},
		{upgrade.FaultNodeNeverReady, "2;always", 1, false, false, true},
		{upgrade.FaultNodeNeverReady, "3;always", 1, false, false, false},
	} {
		p, cp, r := failsOn(tc.key, tc.value, tc.attempt)
		if p != tc.precheck || cp != tc.cp || r != tc.ready {
			t.Errorf("%s=%s attempt %d: precheck %v, control plane %v, ready %v; want %v %v %v",
				tc.key, tc.value, tc.attempt, p, cp, r, tc.precheck, tc.cp, tc.ready)
		}
	}
}
