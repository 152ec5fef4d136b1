package sim_test

import (
	"fmt"
	"testing"
	"time"

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
		env.Deadline = time.Minute
		return env
	}})
}
