package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/engine"
	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/sim"
	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

// clock is an injected clock tests advance by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// fixture is a store, a service and an engine sharing one injected clock.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	clk   *clock
	st    store.Store
	svc   *service.Service
	eng   *engine.Engine
	sim   *sim.Executor
	acct  string
	steps int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, ctx: ctx, clk: &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, st: st, sim: &sim.Executor{Speed: 1}, acct: "acct-1"}
	exec := func(upgrade.Cluster) (executor.Executor, error) { return f.sim, nil }
	f.eng, err = engine.New(engine.Config{Store: st, Executor: exec, Owner: "engine-a", Now: f.clk.Now, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{1}, 32))
	f.svc, err = service.New(service.Config{Store: st, Box: box, Executor: exec, Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// step runs one engine round, and when nothing was due advances the clock
// to the next due task. It reports false when no active task remains.
func (f *fixture) step() bool {
	f.t.Helper()
	n, err := f.eng.RunOnce(f.ctx)
	if err != nil {
		f.t.Fatalf("RunOnce: %v", err)
	}
	f.steps++
	if f.steps > 100000 {
		f.t.Fatal("the engine did not finish within 100000 rounds")
	}
	if n > 0 {
		return true
	}
	next, ok, err := f.st.TaskNextDue(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if !ok {
		return false
	}
	f.clk.Set(next)
	return true
}

// runUntil steps until cond holds or no task is left.
func (f *fixture) runUntil(cond func() bool) {
	f.t.Helper()
	for !cond() {
		if !f.step() {
			if !cond() {
				f.t.Fatal("no active task left and the condition never held")
			}
			return
		}
	}
}

func (f *fixture) createCluster(version string, tags []upgrade.Tag, sizes ...int) string {
	f.t.Helper()
	p := service.CreateClusterParams{Name: "c1", RegionID: "cn-hangzhou", KubernetesVersion: version, Tags: tags}
	for i, n := range sizes {
		p.NodePools = append(p.NodePools, service.NodePoolSpec{Name: fmt.Sprintf("pool-%d", i+1), DesiredSize: n})
	}
	c, err := f.svc.CreateCluster(f.ctx, f.acct, p)
	if err != nil {
		f.t.Fatal(err)
	}
	f.runUntil(func() bool { return f.cluster(c.ClusterID).State == upgrade.ClusterRunning })
	return c.ClusterID
}

func (f *fixture) cluster(id string) upgrade.Cluster {
	c, err := f.st.ClusterGet(f.ctx, "", id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) task(id string) upgrade.Task {
	tk, err := f.st.TaskGet(f.ctx, "", id)
	if err != nil {
		f.t.Fatal(err)
	}
	return tk
}

func (f *fixture) nodes(clusterID string) []upgrade.Node {
	ns, _, err := f.st.NodeList(f.ctx, upgrade.NodeListParams{ClusterID: clusterID})
	if err != nil {
		f.t.Fatal(err)
	}
	return ns
}

// reasons counts a task's events by reason, and by reason+node message.
func (f *fixture) reasons(taskID string) map[string]int {
	evs, err := f.st.EventList(f.ctx, taskID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range evs {
		out[e.Reason]++
	}
	return out
}

// checkInvariants asserts what must hold at every moment of an upgrade.
func (f *fixture) checkInvariants(clusterID, taskID string) {
	f.t.Helper()
	c := f.cluster(clusterID)
	tk := f.task(taskID)
	for _, n := range f.nodes(clusterID) {
		if upgrade.CompareVersions(n.Version, c.CurrentVersion) > 0 {
			f.t.Fatalf("node %s at %s is newer than the control plane %s", n.Name, n.Version, c.CurrentVersion)
		}
	}
	st, err := f.svc.UpgradeStatus(f.ctx, f.acct, clusterID)
	if err != nil {
		f.t.Fatal(err)
	}
	want := map[upgrade.TaskState][3]string{
		upgrade.TaskRunning:  {"running", "", "running"},
		upgrade.TaskPaused:   {"pause", "pause", "running"},
		upgrade.TaskSuccess:  {"success", "success", "Success"},
		upgrade.TaskFailed:   {"fail", "pause", "Failed"},
		upgrade.TaskCanceled: {"fail", "", "Failed"},
	}[tk.State]
	if tk.Type == upgrade.TaskClusterUpgrade {
		if st.Status != want[0] || (want[1] != "" && st.UpgradeStep != want[1]) || st.TaskStatus != want[2] {
			f.t.Fatalf("task %s: GetUpgradeStatus = %+v, want status %s step %q task status %s", tk.State, st, want[0], want[1], want[2])
		}
		if tk.State == upgrade.TaskRunning && st.UpgradeStep != upgrade.StepPrechecking && st.UpgradeStep != upgrade.StepUpgrading {
			f.t.Fatalf("running task has upgrade_step %q", st.UpgradeStep)
		}
	}
	wantCluster := upgrade.ClusterUpdating
	if tk.State.Terminal() {
		wantCluster = upgrade.ClusterRunning
	}
	if c.State != wantCluster {
		f.t.Fatalf("task %s but cluster state %s", tk.State, c.State)
	}
}

// runChecked steps until the task ends, checking invariants after every round.
func (f *fixture) runChecked(clusterID, taskID string) upgrade.Task {
	f.t.Helper()
	for {
		f.checkInvariants(clusterID, taskID)
		if f.task(taskID).State.Terminal() {
			return f.task(taskID)
		}
		if !f.step() {
			return f.task(taskID)
		}
	}
}

func mustErrKind(t *testing.T, err error, kind upgrade.Kind) {
	t.Helper()
	e, ok := upgrade.AsError(err)
	if !ok || e.Kind != kind {
		t.Fatalf("error %v, want kind %d", err, kind)
	}
}

var _ = errors.Is
