package kube

import (
	"fmt"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor/executortest"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
)

// TestConformance runs the executor conformance suite against a real
// kube-apiserver: every node carries a ReplicaSet's pod that its drain must
// evict through the Eviction API, under a budget that allows it.
func TestConformance(t *testing.T) {
	executortest.Run(t, executortest.Harness{New: func(t *testing.T, nodes int) *executortest.Env {
		e := newKubeEnv(t, nodes, nil)
		var names []string
		for i := range nodes {
			names = append(names, e.node(i))
		}
		if nodes > 0 {
			if _, err := kubetest.ReplicatedPods(t.Context(), e.srv.Client, e.ns, "web", names...); err != nil {
				t.Fatal(err)
			}
			if err := kubetest.PDB(t.Context(), e.srv.Client, e.ns, "web", "web", int32(nodes)); err != nil {
				t.Fatal(err)
			}
		}
		// reconfigure swaps the env's executor for one on the same cluster
		// with a changed configuration.
		reconfigure := func(t *testing.T, env *executortest.Env, mod func(*Config)) {
			cfg := e.ex.Config()
			mod(&cfg)
			ex, err := New(cfg, Options{Actions: testActions(e.agent)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			t.Cleanup(ex.Close)
			env.Executor = ex
		}
		return &executortest.Env{
			Executor:   e.ex,
			Cluster:    e.cluster,
			Nodes:      e.nodes,
			Target:     target,
			Poll:       poll,
			Deadline:   time.Minute,
			Cordoned:   e.cordoned,
			Version:    e.kubelet,
			ActionRuns: func(_ *testing.T, node string) int { return e.agent.CommandRuns(node) },
			BreakNode: func(t *testing.T, _ *executortest.Env, node string) {
				if err := e.agent.SetReady(t.Context(), node, false); err != nil {
					t.Fatal(fmt.Errorf("break node %s: %w", node, err))
				}
			},
			FailControlPlane: func(t *testing.T, env *executortest.Env) {
				reconfigure(t, env, func(c *Config) { c.ControlPlaneAction.Name = failCP })
			},
			// A pod of its own on the node, under a budget that allows no
			// disruption, and a drain timeout of a minute.
			BlockDrain: func(t *testing.T, env *executortest.Env, node, policy string) {
				if _, err := kubetest.ReplicatedPods(t.Context(), e.srv.Client, e.ns, "db", node); err != nil {
					t.Fatal(err)
				}
				if err := kubetest.PDB(t.Context(), e.srv.Client, e.ns, "db", "db", 0); err != nil {
					t.Fatal(err)
				}
				reconfigure(t, env, func(c *Config) { c.DrainTimeout, c.DrainTimeoutPolicy = time.Minute, policy })
			},
		}
	}})
}
