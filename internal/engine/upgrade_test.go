package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/engine"
	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/sim"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

const (
	from = "1.32.7-aliyun.1"
	to   = "1.33.3-aliyun.1"
)

func TestUpgradeToSuccess(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 2, 3)
	start := f.clk.Now()
	tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	if err != nil {
		t.Fatal(err)
	}
	tk := f.runChecked(cid, tid)
	if tk.State != upgrade.TaskSuccess {
		t.Fatalf("task ended %s: %s", tk.State, tk.ErrorMessage)
	}
	c := f.cluster(cid)
	if c.CurrentVersion != to || c.TargetVersion != "" {
		t.Fatalf("cluster at %s (target %q), want %s", c.CurrentVersion, c.TargetVersion, to)
	}
	for _, n := range f.nodes(cid) {
		if n.Version != to || n.Unschedulable || n.Status != upgrade.NodeReady || n.Upgrading {
			t.Fatalf("node after upgrade: %+v", n)
		}
	}
	r := f.reasons(tid)
	if r["NodeUpgraded"] != 5 || r["NodeDrainStart"] != 5 || r["NodePoolUpgradeStart"] != 2 || r["ControlPlaneUpgraded"] != 1 || r["TaskSucceeded"] != 1 {
		t.Fatalf("events: %v", r)
	}
	// Simulated time: precheck 30s, control plane 8m, 5 nodes one at a time
	// at 4 minutes each.
	if took, ideal := f.clk.Now().Sub(start), sim.PrecheckTime+sim.ControlPlaneTime+5*(sim.DrainTime+sim.NodeUpgradeTime+sim.NodeReadyTime); took < ideal || took > ideal+time.Minute {
		t.Fatalf("upgrade took %s of simulated time, want about %s", took, ideal)
	}
	chk, err := f.svc.GetCheck(f.ctx, f.acct, cid, tk.PrecheckID)
	if err != nil || chk.Status != upgrade.CheckSucceeded || len(chk.Items) == 0 {
		t.Fatalf("precheck report: %+v, %v", chk, err)
	}
	var names []string
	for _, s := range tk.Stages {
		names = append(names, s.Name+":"+s.State)
	}
	if got := strings.Join(names, ","); got != "Precheck:success,UpgradeControlPlane:success,UpgradeNodePools:success" {
		t.Fatalf("stages %s", got)
	}
}

func TestMasterOnly(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 2)
	tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to, MasterOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if tk := f.runChecked(cid, tid); tk.State != upgrade.TaskSuccess {
		t.Fatalf("task %s: %s", tk.State, tk.ErrorMessage)
	}
	if c := f.cluster(cid); c.CurrentVersion != to {
		t.Fatalf("control plane at %s", c.CurrentVersion)
	}
	for _, n := range f.nodes(cid) {
		if n.Version != from {
			t.Fatalf("node %s upgraded to %s by a master-only upgrade", n.Name, n.Version)
		}
	}
	// The nodes can follow with a node pool upgrade, never past the control plane.
	pools, _ := f.svc.ListNodePools(f.ctx, f.acct, cid, "")
	_, err = f.svc.UpgradeNodePool(f.ctx, f.acct, cid, pools[0].ID, service.NodePoolUpgradeParams{KubernetesVersion: "1.34.1-aliyun.1"})
	mustErrKind(t, err, upgrade.KindInvalid)
	tid, err = f.svc.UpgradeNodePool(f.ctx, f.acct, cid, pools[0].ID, service.NodePoolUpgradeParams{KubernetesVersion: to})
	if err != nil {
		t.Fatal(err)
	}
	if tk := f.runChecked(cid, tid); tk.State != upgrade.TaskSuccess {
		t.Fatalf("node pool task %s: %s", tk.State, tk.ErrorMessage)
	}
	for _, n := range f.nodes(cid) {
		if n.Version != to {
			t.Fatalf("node %s at %s after node pool upgrade", n.Name, n.Version)
		}
	}
}

// masterOnlyCluster returns a cluster whose control plane is at to and
// whose single pool of n nodes is still at from.
func masterOnlyCluster(t *testing.T, f *fixture, n int) (string, string) {
	cid := f.createCluster(from, nil, n)
	tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to, MasterOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	f.runUntil(func() bool { return f.task(tid).State.Terminal() })
	pools, _ := f.svc.ListNodePools(f.ctx, f.acct, cid, "")
	return cid, pools[0].ID
}

func TestNodePoolPausePolicies(t *testing.T) {
	for _, tc := range []struct {
		policy string
		pauses int // pauses the engine makes by itself over 6 nodes in batches of 2
	}{{"FirstBatch", 1}, {"EveryBatch", 2}, {"NotPause", 0}} {
		t.Run(tc.policy, func(t *testing.T) {
			f := newFixture(t)
			cid, pool := masterOnlyCluster(t, f, 6)
			nodes := f.nodes(cid)
			subset := []string{nodes[0].Name, nodes[1].Name, nodes[2].Name, nodes[4].Name, nodes[5].Name}
			tid, err := f.svc.UpgradeNodePool(f.ctx, f.acct, cid, pool, service.NodePoolUpgradeParams{KubernetesVersion: to,
				NodeNames: subset, MaxParallelism: new(2), PausePolicy: upgrade.PausePolicy(tc.policy)})
			if err != nil {
				t.Fatal(err)
			}
			pauses := 0
			for !f.task(tid).State.Terminal() {
				f.checkInvariants(cid, tid)
				if f.task(tid).State == upgrade.TaskPaused {
					pauses++
					// While paused, no node starts.
					before := f.reasons(tid)["NodeCordoned"]
					f.clk.Set(f.clk.Now().Add(time.Hour))
					if _, err := f.eng.RunOnce(f.ctx); err != nil {
						t.Fatal(err)
					}
					if after := f.reasons(tid)["NodeCordoned"]; after != before {
						t.Fatalf("a node was cordoned while paused (%d -> %d)", before, after)
					}
					if err := f.svc.ResumeTask(f.ctx, f.acct, tid); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if !f.step() {
					break
				}
			}
			if tk := f.task(tid); tk.State != upgrade.TaskSuccess {
				t.Fatalf("task %s: %s", tk.State, tk.ErrorMessage)
			}
			if pauses != tc.pauses {
				t.Fatalf("paused %d times, want %d", pauses, tc.pauses)
			}
			for _, n := range f.nodes(cid) {
				want := to
				if n.Name == nodes[3].Name {
					want = from
				}
				if n.Version != want {
					t.Fatalf("node %s at %s, want %s", n.Name, n.Version, want)
				}
			}
			if r := f.reasons(tid); r["NodeUpgraded"] != 5 || r["BatchStart"] != 3 {
				t.Fatalf("events %v", r)
			}
		})
	}
}

func TestPauseLetsNodeInFlightFinishThenResume(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 4)
	tid, _ := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	// Run until the first node is draining.
	f.runUntil(func() bool { return f.reasons(tid)["NodeDrainStart"] == 1 })
	if err := f.svc.PauseClusterUpgrade(f.ctx, f.acct, cid); err != nil {
		t.Fatal(err)
	}
	st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
	if st.Status != "pause" || st.UpgradeStep != "pause" {
		t.Fatalf("after pause: %+v", st)
	}
	// A second pause and a second upgrade are refused and change nothing.
	mustErrKind(t, f.svc.PauseTask(f.ctx, f.acct, tid), upgrade.KindTaskState)
	_, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	mustErrKind(t, err, upgrade.KindClusterState)
	// The node in flight finishes; then nothing moves.
	for i := 0; i < 50; i++ {
		f.step()
	}
	if r := f.reasons(tid); r["NodeUncordoned"] != 1 || r["NodeCordoned"] != 1 {
		t.Fatalf("while paused: %v", r)
	}
	if tk := f.task(tid); tk.State != upgrade.TaskPaused {
		t.Fatalf("task %s", tk.State)
	}
	if err := f.svc.ResumeClusterUpgrade(f.ctx, f.acct, cid); err != nil {
		t.Fatal(err)
	}
	mustErrKind(t, f.svc.ResumeTask(f.ctx, f.acct, tid), upgrade.KindTaskState)
	if tk := f.runChecked(cid, tid); tk.State != upgrade.TaskSuccess {
		t.Fatalf("task %s: %s", tk.State, tk.ErrorMessage)
	}
	if r := f.reasons(tid); r["NodeUpgraded"] != 4 {
		t.Fatalf("events %v", r)
	}
}

func TestCancelInTheMiddleOfAPool(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 4)
	tid, _ := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	f.runUntil(func() bool { return f.reasons(tid)["NodeUpgraded"] == 1 && f.reasons(tid)["NodeCordoned"] == 2 })
	if err := f.svc.CancelTask(f.ctx, f.acct, tid); err != nil {
		t.Fatal(err)
	}
	tk := f.runChecked(cid, tid)
	if tk.State != upgrade.TaskCanceled {
		t.Fatalf("task %s", tk.State)
	}
	st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
	if st.Status != "fail" || st.TaskStatus != "Failed" || !strings.Contains(st.ErrorMessage, "canceled") {
		t.Fatalf("status after cancel: %+v", st)
	}
	upgraded := 0
	for _, n := range f.nodes(cid) {
		if n.Version == to {
			upgraded++
		}
		if n.Unschedulable {
			t.Fatalf("node %s left cordoned", n.Name)
		}
	}
	if upgraded != 2 || f.reasons(tid)["NodeUpgraded"] != 2 {
		t.Fatalf("upgraded %d nodes (events %v), want the 2 that had started", upgraded, f.reasons(tid))
	}
	// The message says what the nodes really run: it once said every node
	// "stays at" the target version.
	want := fmt.Sprintf("2 of 4 nodes were upgraded; the nodes run %s (2) and %s (2); the control plane runs %s", from, to, to)
	if !strings.Contains(tk.ErrorMessage, want) {
		t.Fatalf("cancel message %q, want it to contain %q", tk.ErrorMessage, want)
	}
	mustErrKind(t, f.svc.CancelTask(f.ctx, f.acct, tid), upgrade.KindTaskState)
	mustErrKind(t, f.svc.PauseTask(f.ctx, f.acct, tid), upgrade.KindTaskState)
	// The cluster can be upgraded again.
	tid2, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: "1.34.1-aliyun.1"})
	if err != nil {
		t.Fatal(err)
	}
	if tk := f.runChecked(cid, tid2); tk.State != upgrade.TaskSuccess {
		t.Fatalf("second upgrade %s: %s", tk.State, tk.ErrorMessage)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tags      map[string]string
		state     upgrade.TaskState
		code      string
		inMessage string
		cpVersion string
		upgraded  int
	}{
		{"precheck", map[string]string{upgrade.FaultPrecheckFail: "NodeDiskPressure"}, upgrade.TaskFailed, "PrecheckFailed", "NodeDiskPressure", from, 0},
		{"control-plane", map[string]string{upgrade.FaultControlPlaneFail: "true"}, upgrade.TaskFailed, "ControlPlaneUpgradeFailed", "the nodes run " + from + " (3); the control plane runs " + from, from, 0},
		{"never-ready", map[string]string{upgrade.FaultNodeNeverReady: "2"}, upgrade.TaskFailed, "NodeNotReady", "the nodes run " + to + " (2) and " + from + " (1); the control plane runs " + to, to, 2},
		{"drain-blocked", map[string]string{upgrade.FaultDrainBlocked: "1", upgrade.FaultDrainBlockedSeconds: "300"}, upgrade.TaskSuccess, "", "", to, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var tags []upgrade.Tag
			for k, v := range tc.tags {
				tags = append(tags, upgrade.Tag{Key: k, Value: v})
			}
			cid := f.createCluster(from, tags, 3)
			tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
			if err != nil {
				t.Fatal(err)
			}
			sawBlocker := false
			for !f.task(tid).State.Terminal() {
				f.checkInvariants(cid, tid)
				if st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid); strings.Contains(st.TaskMessage, "PodDisruptionBudget") {
					sawBlocker = true
				}
				f.step()
			}
			tk := f.task(tid)
			if tk.State != tc.state || tk.ErrorCode != tc.code || !strings.Contains(tk.ErrorMessage, tc.inMessage) {
				t.Fatalf("task %s %s %q", tk.State, tk.ErrorCode, tk.ErrorMessage)
			}
			st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
			if tc.state == upgrade.TaskFailed && (st.Status != "fail" || !strings.Contains(st.ErrorMessage, tc.inMessage)) {
				t.Fatalf("GetUpgradeStatus %+v", st)
			}
			if c := f.cluster(cid); c.CurrentVersion != tc.cpVersion || c.State != upgrade.ClusterRunning {
				t.Fatalf("cluster %s at %s", c.State, c.CurrentVersion)
			}
			if got := f.reasons(tid)["NodeUpgraded"]; got != tc.upgraded {
				t.Fatalf("%d nodes upgraded, want %d", got, tc.upgraded)
			}
			switch tc.name {
			case "precheck":
				chk, _ := f.svc.GetCheck(f.ctx, f.acct, cid, tk.PrecheckID)
				if chk.Status != upgrade.CheckFailed {
					t.Fatalf("check report %+v", chk)
				}
			case "drain-blocked":
				if !sawBlocker || f.reasons(tid)["NodeDrainBlocked"] != 1 {
					t.Fatalf("blocker seen %v, events %v", sawBlocker, f.reasons(tid))
				}
			}
		})
	}
}

func TestIllegalTransitionsChangeNothing(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 1)
	before := f.cluster(cid)
	for _, v := range []string{"1.32.1-aliyun.1", from, "1.34.1-aliyun.1", "1.33.9-aliyun.1", "bogus"} {
		_, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: v})
		mustErrKind(t, err, upgrade.KindInvalid)
	}
	_, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{})
	mustErrKind(t, err, upgrade.KindMissing)
	// The service applies the domain's rules itself, for callers that do
	// not come through the API.
	_, err = f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to, MaxParallelism: new(0)})
	mustErrKind(t, err, upgrade.KindInvalid)
	pools, _ := f.svc.ListNodePools(f.ctx, f.acct, cid, "")
	for _, p := range []service.NodePoolUpgradeParams{{MaxParallelism: new(11)}, {BatchInterval: new(3)}, {PausePolicy: "Sometimes"}} {
		_, err = f.svc.UpgradeNodePool(f.ctx, f.acct, cid, pools[0].ID, p)
		if mustErrKind(t, err, upgrade.KindInvalid); !strings.Contains(err.Error(), "rolling_policy.") {
			t.Errorf("%+v refused for another reason: %v", p, err)
		}
	}
	mustErrKind(t, f.svc.PauseClusterUpgrade(f.ctx, f.acct, cid), upgrade.KindNotFound)
	if after := f.cluster(cid); after.State != before.State || after.CurrentVersion != before.CurrentVersion || !after.Updated.Equal(before.Updated) {
		t.Fatalf("cluster changed: %+v -> %+v", before, after)
	}
	if ts, n, _ := f.svc.ListTasks(f.ctx, f.acct, cid, 0, 10); n != 1 || ts[0].Type != upgrade.TaskClusterCreate {
		t.Fatalf("tasks after refused requests: %d", n)
	}
}

// TestFencing shows that an engine whose lease was taken over cannot write.
func TestFencing(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 2)
	tid, _ := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	exec := func(upgrade.Cluster) (executor.Executor, error) { return f.sim, nil }
	claims, err := f.st.TaskClaim(f.ctx, store.ClaimParams{Owner: "engine-a", Now: f.clk.Now(), Lease: time.Minute, Limit: 10})
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim: %v %v", claims, err)
	}
	stale := claims[0]
	// engine-a stalls past its lease; engine-b takes over.
	f.clk.Set(f.clk.Now().Add(2 * time.Minute))
	b, _ := engine.New(engine.Config{Store: f.st, Executor: exec, Owner: "engine-b", Now: f.clk.Now, Lease: time.Minute})
	if n, err := b.RunOnce(f.ctx); err != nil || n != 1 {
		t.Fatalf("engine-b RunOnce: %d %v", n, err)
	}
	tk := f.task(tid)
	if tk.LeaseOwner != "engine-b" || tk.Fence <= stale.Fence {
		t.Fatalf("lease %s fence %d after takeover (stale fence %d)", tk.LeaseOwner, tk.Fence, stale.Fence)
	}
	events := len(f.reasons(tid))
	// engine-a wakes up and tries to write with its stale token.
	if _, err := f.eng.Reconcile(f.ctx, stale); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("stale reconcile: %v, want ErrFenced", err)
	}
	if got := len(f.reasons(tid)); got != events {
		t.Fatal("a stale engine wrote events")
	}
}

// TestDrainTimeoutPolicies drives the engine's three answers to a drain
// that stays blocked past the executor's timeout, with the simulator's
// drain-timeout fault on the second of three nodes.
func TestDrainTimeoutPolicies(t *testing.T) {
	tags := func(policy string) []upgrade.Tag {
		return []upgrade.Tag{{Key: upgrade.FaultDrainBlocked, Value: "2"}, {Key: upgrade.FaultDrainTimeout, Value: policy}}
	}
	blockedNode := func(f *fixture, cid string) upgrade.Node {
		for _, n := range f.nodes(cid) {
			if upgrade.NodeOrdinal(n.IP) == 2 {
				return n
			}
		}
		f.t.Fatal("no second node")
		return upgrade.Node{}
	}
	t.Run(executor.DrainFail, func(t *testing.T) {
		f := newFixture(t)
		cid := f.createCluster(from, tags(executor.DrainFail), 3)
		tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
		if err != nil {
			t.Fatal(err)
		}
		tk := f.runChecked(cid, tid)
		if tk.State != upgrade.TaskFailed || tk.ErrorCode != "NodeDrainTimeout" || !strings.Contains(tk.ErrorMessage, "stayed blocked") {
			t.Fatalf("task %s %s %q; want failed with NodeDrainTimeout", tk.State, tk.ErrorCode, tk.ErrorMessage)
		}
		if r := f.reasons(tid); r["NodeDrainTimeout"] != 1 || r["NodeUpgraded"] != 1 {
			t.Fatalf("events %v; want one NodeDrainTimeout after one node upgraded", r)
		}
	})
	t.Run(executor.DrainSkip, func(t *testing.T) {
		f := newFixture(t)
		cid := f.createCluster(from, tags(executor.DrainSkip), 3)
		tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
		if err != nil {
			t.Fatal(err)
		}
		if tk := f.runChecked(cid, tid); tk.State != upgrade.TaskSuccess {
			t.Fatalf("task %s %q; want success with the node skipped", tk.State, tk.ErrorMessage)
		}
		if r := f.reasons(tid); r["NodeDrainTimeout"] != 1 || r["NodeSkipped"] != 1 || r["NodeUpgraded"] != 2 {
			t.Fatalf("events %v; want one timeout, one skip and two nodes upgraded", r)
		}
		if n := blockedNode(f, cid); n.Version != from || n.Unschedulable {
			t.Fatalf("skipped node %s at %s, unschedulable %v; want it left at %s and schedulable", n.Name, n.Version, n.Unschedulable, from)
		}
	})
	t.Run(executor.DrainPause, func(t *testing.T) {
		f := newFixture(t)
		cid := f.createCluster(from, tags(executor.DrainPause), 3)
		tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
		if err != nil {
			t.Fatal(err)
		}
		paused := func() bool { return f.task(tid).State == upgrade.TaskPaused }
		f.runUntil(paused)
		f.checkInvariants(cid, tid)
		if r := f.reasons(tid); r["NodeDrainTimeout"] != 1 || r["TaskPaused"] != 1 {
			t.Fatalf("events %v; want one NodeDrainTimeout and the task paused", r)
		}
		if n := blockedNode(f, cid); !n.Unschedulable || n.Version != from {
			t.Fatalf("blocked node %s unschedulable %v at %s; want it still cordoned at %s", n.Name, n.Unschedulable, n.Version, from)
		}
		// Resuming drains the node again with a fresh timeout; the budget
		// still blocks it, so the task pauses once more.
		if err := f.svc.ResumeTask(f.ctx, f.acct, tid); err != nil {
			t.Fatal(err)
		}
		f.runUntil(func() bool { return paused() && f.reasons(tid)["NodeDrainTimeout"] == 2 })
		if r := f.reasons(tid); r["TaskPaused"] != 2 {
			t.Fatalf("events %v; want the task paused again after the second timeout", r)
		}
	})
}
