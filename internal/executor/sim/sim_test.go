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
// whose time is the step clock only.
func TestConformance(t *testing.T) {
	t.Parallel()
	executortest.Run(t, executortest.Harness{New: func(t *testing.T, nodes int) *executortest.Env {
		c := upgrade.Cluster{ID: upgrade.NewClusterID(), Name: "conformance", RegionID: "cn-hangzhou",
			CurrentVersion: "1.33.3-aliyun.1", Executor: upgrade.ExecutorSim, State: upgrade.ClusterRunning}
		env := &executortest.Env{Executor: &sim.Executor{Speed: 1}, Cluster: c, Target: "1.34.1-aliyun.1"}
		for i := range nodes {
			ip := upgrade.NodeIP(i)
			env.Nodes = append(env.Nodes, upgrade.Node{ClusterID: c.ID, Name: fmt.Sprintf("node-%d", i), IP: ip,
				InstanceID: upgrade.NewInstanceID(), Version: c.CurrentVersion, Status: upgrade.NodeReady, State: "running"})
		}
		env.BreakNode = func(_ *testing.T, env *executortest.Env, _ string) {
			env.Cluster.Tags = append(env.Cluster.Tags, upgrade.Tag{Key: sim.TagPrecheckFail, Value: "NodeReady"})
		}
		env.BlockDrain = func(_ *testing.T, env *executortest.Env, node string) (string, string) {
			env.Cluster.Tags = append(env.Cluster.Tags, upgrade.Tag{Key: sim.TagDrainBlocked, Value: node})
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
		{sim.TagPrecheckFail, "NodeDiskPressure", 0, true, false, false},
		{sim.TagPrecheckFail, "NodeDiskPressure", 1, false, false, false},
		{sim.TagPrecheckFail, "NodeDiskPressure;always", 2, true, false, false},
		{sim.TagControlPlaneFail, "true", 0, false, true, false},
		{sim.TagControlPlaneFail, "true", 1, false, false, false},
		{sim.TagControlPlaneFail, "always", 1, false, true, false},
		{sim.TagControlPlaneFail, "true;always", 3, false, true, false},
		{sim.TagNodeNeverReady, "2", 0, false, false, true},
		{sim.TagNodeNeverReady, "2", 1, false, false, false},
		{sim.TagNodeNeverReady, "2;always", 1, false, false, true},
		{sim.TagNodeNeverReady, "3;always", 1, false, false, false},
	} {
		p, cp, r := failsOn(tc.key, tc.value, tc.attempt)
		if p != tc.precheck || cp != tc.cp || r != tc.ready {
			t.Errorf("%s=%s attempt %d: precheck %v, control plane %v, ready %v; want %v %v %v",
				tc.key, tc.value, tc.attempt, p, cp, r, tc.precheck, tc.cp, tc.ready)
		}
	}
}
