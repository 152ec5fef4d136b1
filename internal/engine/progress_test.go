package engine_test

import (
	"testing"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// TestProgressIsRecorded follows a rollout whose second node's drain is
// held by a PodDisruptionBudget and checks the progress the engine records
// for DescribeTaskInfo: counts, steps and the blocker as fields.
func TestProgressIsRecorded(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, []upgrade.Tag{{Key: upgrade.FaultDrainBlocked, Value: "2"}, {Key: upgrade.FaultDrainBlockedSeconds, Value: "600"}}, 2, 1)
	tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	if err != nil {
		t.Fatal(err)
	}
	var blocked *upgrade.RolloutProgress
	var seen []upgrade.NodeStep
	for !f.task(tid).State.Terminal() {
		tk := f.task(tid)
		if p := upgrade.RolloutProgressOf(&tk); p != nil {
			if p.Stage != tk.Stage || p.NodesTotal != 3 || len(p.Pools) != 2 {
				t.Fatalf("progress %+v of a task in stage %s, want 3 nodes in 2 pools", p, tk.Stage)
			}
			if p.Blocker != nil && blocked == nil {
				blocked = p
			}
			for _, n := range p.InFlight {
				if len(seen) == 0 || seen[len(seen)-1] != n.Step {
					seen = append(seen, n.Step)
				}
			}
		}
		f.step()
	}
	if blocked == nil {
		t.Fatal("no progress ever named a blocker")
	}
	// The simulator holds the node with ordinal 2: the second of pool-1.
	var held upgrade.Node
	for _, n := range f.nodes(cid) {
		if upgrade.NodeOrdinal(n.IP) == 2 {
			held = n
		}
	}
	b := blocked.Blocker
	if b.Node != held.Name || b.Pod != "default/web-0" || b.PDB != "default/web" || b.Message == "" {
		t.Errorf("blocker %+v, want node %s held by default/web-0 and default/web", b, held.Name)
	}
	if blocked.NodePool != held.NodePoolID {
		t.Errorf("node_pool %s while %s of pool %s is blocked", blocked.NodePool, held.Name, held.NodePoolID)
	}
	done := 0
	for _, p := range blocked.Pools {
		done += p.NodesDone
		if p.ID == held.NodePoolID && (p.State != upgrade.PoolUpgrading || p.NodesDone != p.NodesTotal-1) {
			t.Errorf("pool of the held node while blocked: %+v", p)
		}
	}
	if done != blocked.NodesDone {
		t.Errorf("pools count %d nodes done, the total says %d", done, blocked.NodesDone)
	}
	if len(blocked.InFlight) != 1 || blocked.InFlight[0] != (upgrade.NodeProgress{Node: held.Name, Step: upgrade.NodeDrain}) {
		t.Errorf("in flight while blocked: %+v", blocked.InFlight)
	}
	if n := len(blocked.Nodes); n != blocked.NodesDone+1 || blocked.Nodes[n-1] != blocked.InFlight[0] || blocked.Nodes[0].Step != upgrade.NodeDone {
		t.Errorf("nodes while blocked: %+v", blocked.Nodes)
	}
	tk := f.task(tid)
	end := upgrade.RolloutProgressOf(&tk)
	if tk.State != upgrade.TaskSuccess || end == nil || end.NodesDone != 3 || len(end.InFlight) != 0 || end.Blocker != nil {
		t.Fatalf("at the end: %s %+v", tk.State, end)
	}
	for _, p := range end.Pools {
		if p.State != upgrade.PoolDone || p.NodesDone != p.NodesTotal || p.Started.IsZero() || p.LastDone.Before(p.Started) {
			t.Errorf("pool at the end: %+v", p)
		}
	}
	want := []upgrade.NodeStep{upgrade.NodeCordon, upgrade.NodeDrain, upgrade.NodeUpgrade, upgrade.NodeReadying, upgrade.NodeUncordon}
	for _, w := range want {
		found := false
		for _, s := range seen {
			found = found || s == w
		}
		if !found {
			t.Errorf("step %s never seen in flight (saw %v)", w, seen)
		}
	}
}

// TestIgnoreWarningCheck fails a warning-level precheck item: the upgrade
// stops unless ignore_warning_check is set; an error-level item stops it
// either way.
func TestIgnoreWarningCheck(t *testing.T) {
	for _, tc := range []struct {
		item   string
		ignore bool
		want   upgrade.TaskState
	}{
		{"PodDisruptionBudget", false, upgrade.TaskFailed},
		{"PodDisruptionBudget", true, upgrade.TaskSuccess},
		{"NodeDiskPressure", true, upgrade.TaskFailed},
	} {
		t.Run(tc.item, func(t *testing.T) {
			f := newFixture(t)
			cid, pool := masterOnlyCluster(t, f, 2)
			c := f.cluster(cid)
			c.Tags = append(c.Tags, upgrade.Tag{Key: upgrade.FaultPrecheckFail, Value: tc.item})
			if err := f.st.ClusterUpdate(f.ctx, c); err != nil {
				t.Fatal(err)
			}
			tid, err := f.svc.UpgradeNodePool(f.ctx, f.acct, cid, pool, service.NodePoolUpgradeParams{KubernetesVersion: to, IgnoreWarningCheck: tc.ignore})
			if err != nil {
				t.Fatal(err)
			}
			tk := f.runChecked(cid, tid)
			if tk.State != tc.want {
				t.Fatalf("task %s (%s), want %s", tk.State, tk.ErrorMessage, tc.want)
			}
			chk, err := f.svc.GetCheck(f.ctx, f.acct, cid, tk.PrecheckID)
			if err != nil {
				t.Fatal(err)
			}
			if wantStatus := map[bool]string{true: upgrade.CheckSucceeded, false: upgrade.CheckFailed}[tc.want == upgrade.TaskSuccess]; chk.Status != wantStatus {
				t.Errorf("precheck report %s (%s), want %s", chk.Status, chk.Message, wantStatus)
			}
		})
	}
}
