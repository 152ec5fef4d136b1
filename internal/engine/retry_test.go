package engine_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// failUpgrade starts an upgrade of a cluster of 3 nodes carrying the fault
// tag key=value and runs it until it fails.
func failUpgrade(t *testing.T, f *fixture, key, value string) (string, string) {
	t.Helper()
	cid := f.createCluster(from, []upgrade.Tag{{Key: key, Value: value}}, 3)
	tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	if err != nil {
		t.Fatal(err)
	}
	if tk := f.runChecked(cid, tid); tk.State != upgrade.TaskFailed {
		t.Fatalf("task ended %s, want failed", tk.State)
	}
	st, err := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "fail" || st.UpgradeStep != "pause" || st.TaskStatus != "Failed" || !st.Failed || st.Retries != 0 ||
		st.ErrorMessage == "" || st.Finished.IsZero() || st.Events[len(st.Events)-1].Reason != "TaskFailed" {
		t.Fatalf("old view of the failed upgrade: %+v", st)
	}
	return cid, tid
}

// upgradedOnce asserts that every node of the cluster runs to and was
// upgraded by exactly one NodeUpgraded step of the task.
func upgradedOnce(t *testing.T, f *fixture, cid, tid string) {
	t.Helper()
	evs, err := f.st.EventList(f.ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	times := map[string]int{}
	for _, e := range evs {
		if e.Reason == "NodeUpgraded" {
			times[strings.Fields(e.Message)[1]]++
		}
	}
	for _, n := range f.nodes(cid) {
		if n.Version != to || times[n.Name] != 1 || n.Unschedulable || n.Status != upgrade.NodeReady {
			t.Errorf("node %s at %s, upgraded %d times, cordoned %v, %s", n.Name, n.Version, times[n.Name], n.Unschedulable, n.Status)
		}
	}
}

func TestRetryAfterFailure(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		stages           string
	}{
		{"precheck", upgrade.FaultPrecheckFail, "NodeDiskPressure",
			"Precheck:failed,Precheck:success,UpgradeControlPlane:success,UpgradeNodePools:success"},
		{"control-plane", upgrade.FaultControlPlaneFail, "true",
			"Precheck:success,UpgradeControlPlane:failed,UpgradeControlPlane:success,UpgradeNodePools:success"},
		{"never-ready", upgrade.FaultNodeNeverReady, "2",
			"Precheck:success,UpgradeControlPlane:success,UpgradeNodePools:failed,UpgradeNodePools:success"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			cid, tid := failUpgrade(t, f, tc.key, tc.value)
			failed := f.task(tid)
			if err := f.svc.ResumeClusterUpgrade(f.ctx, f.acct, cid); err != nil {
				t.Fatal(err)
			}
			if tk, c := f.task(tid), f.cluster(cid); tk.State != upgrade.TaskRunning || c.State != upgrade.ClusterUpdating || c.TargetVersion != to {
				t.Fatalf("after the retry request: task %s, cluster %s heading for %q", tk.State, c.State, c.TargetVersion)
			}
			if st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid); st.Status != "running" || st.Retries != 1 || st.Failed || !st.Finished.IsZero() {
				t.Fatalf("status after the retry request: %+v", st)
			}
			tk := f.runChecked(cid, tid)
			if tk.State != upgrade.TaskSuccess {
				t.Fatalf("retried task ended %s: %s", tk.State, tk.ErrorMessage)
			}
			if c := f.cluster(cid); c.CurrentVersion != to || c.State != upgrade.ClusterRunning {
				t.Fatalf("cluster %s at %s", c.State, c.CurrentVersion)
			}
			upgradedOnce(t, f, cid, tid)
			var names []string
			for _, s := range tk.Stages {
				names = append(names, s.Name+":"+s.State)
			}
			if got := strings.Join(names, ","); got != tc.stages {
				t.Errorf("stages %s, want %s", got, tc.stages)
			}
			r := f.reasons(tid)
			if r["TaskRetried"] != 1 || r["TaskRetryStart"] != 1 || r["ControlPlaneUpgraded"] != 1 || r["TaskSucceeded"] != 1 {
				t.Errorf("events %v", r)
			}
			if tc.name == "precheck" {
				if tk.PrecheckID == failed.PrecheckID {
					t.Errorf("the retried precheck reuses check %s", tk.PrecheckID)
				}
				old, _ := f.svc.GetCheck(f.ctx, f.acct, cid, failed.PrecheckID)
				cur, _ := f.svc.GetCheck(f.ctx, f.acct, cid, tk.PrecheckID)
				if old.Status != upgrade.CheckFailed || cur.Status != upgrade.CheckSucceeded {
					t.Errorf("checks: first %s, retry %s", old.Status, cur.Status)
				}
			}
			st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
			if st.Status != "success" || st.Retries != 1 || st.Total != 3 || st.Succeeded != 3 || st.Phase != upgrade.PhaseNodes {
				t.Errorf("final status %+v", st)
			}
		})
	}
}

func TestRetryOfAnAlwaysFaultFailsAgain(t *testing.T) {
	f := newFixture(t)
	cid, tid := failUpgrade(t, f, upgrade.FaultControlPlaneFail, "always")
	if err := f.svc.ResumeTask(f.ctx, f.acct, tid); err != nil {
		t.Fatal(err)
	}
	if tk := f.runChecked(cid, tid); tk.State != upgrade.TaskFailed || tk.ErrorCode != "ControlPlaneUpgradeFailed" {
		t.Fatalf("task %s %s", tk.State, tk.ErrorCode)
	}
	if st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid); st.Retries != 1 || !st.Failed || st.UpgradeStep != "pause" {
		t.Fatalf("status %+v", st)
	}
}

func TestCancelOfAFailedUpgrade(t *testing.T) {
	f := newFixture(t)
	cid, tid := failUpgrade(t, f, upgrade.FaultNodeNeverReady, "2")
	before := f.nodes(cid)
	if err := f.svc.CancelClusterUpgrade(f.ctx, f.acct, cid); err != nil {
		t.Fatal(err)
	}
	tk := f.task(tid)
	if tk.State != upgrade.TaskCanceled || !strings.Contains(tk.ErrorMessage, "canceled") {
		t.Fatalf("task %s %q", tk.State, tk.ErrorMessage)
	}
	st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
	if st.Status != "fail" || st.UpgradeStep != upgrade.StepUpgrading || !st.Canceled || st.Failed {
		t.Fatalf("status of the canceled upgrade %+v", st)
	}
	for i, n := range f.nodes(cid) {
		if n.Version != before[i].Version {
			t.Fatalf("cancel changed node %s", n.Name)
		}
	}
	mustErrKind(t, f.svc.ResumeTask(f.ctx, f.acct, tid), upgrade.KindTaskState)
	mustErrKind(t, f.svc.CancelTask(f.ctx, f.acct, tid), upgrade.KindTaskState)
}

func TestRetryRefusedOnceANewerTaskRan(t *testing.T) {
	f := newFixture(t)
	cid, tid := failUpgrade(t, f, upgrade.FaultPrecheckFail, "NodeDiskPressure")
	tid2, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	if err != nil {
		t.Fatal(err)
	}
	// While the new upgrade runs the cluster is busy; after it, the old
	// task is no longer the cluster's latest.
	mustErrKind(t, f.svc.ResumeTask(f.ctx, f.acct, tid), upgrade.KindClusterState)
	// Its precheck fails too: a fault fires on each task's first attempt.
	if tk := f.runChecked(cid, tid2); tk.State != upgrade.TaskFailed {
		t.Fatalf("second upgrade %s: %s", tk.State, tk.ErrorMessage)
	}
	mustErrKind(t, f.svc.ResumeTask(f.ctx, f.acct, tid), upgrade.KindTaskState)
	if tk := f.task(tid); tk.State != upgrade.TaskFailed {
		t.Fatalf("refused retry changed the task to %s", tk.State)
	}
}

// TestTheEngineLaysOutANewUpgrade: the service records the task and its
// spec only; before the engine's first pass the old view already reads
// prechecking with the reserved precheck id, and the first pass creates the
// stage and the check under that id.
func TestTheEngineLaysOutANewUpgrade(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 1)
	tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	if err != nil {
		t.Fatal(err)
	}
	tk := f.task(tid)
	if len(tk.Stages) != 0 || tk.Stage != "" || len(tk.Plan) != 0 || tk.PrecheckID == "" {
		t.Fatalf("the service laid out engine state: %+v", tk)
	}
	if _, err := f.st.CheckGet(f.ctx, cid, tk.PrecheckID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the service recorded the check: %v", err)
	}
	st, _ := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
	if st.Status != "running" || st.UpgradeStep != upgrade.StepPrechecking || st.PrecheckReportID != tk.PrecheckID ||
		st.TaskMessage != "prechecking the upgrade to "+to {
		t.Fatalf("status before the first pass: %+v", st)
	}
	if chk, err := f.svc.GetCheck(f.ctx, f.acct, cid, tk.PrecheckID); err != nil || chk.Status != upgrade.CheckRunning {
		t.Fatalf("pending precheck: %+v %v", chk, err)
	}
	before, err := f.svc.DescribeTask(f.ctx, f.acct, tid)
	if err != nil || before.Stage != upgrade.StagePrecheck || len(before.Stages) != 1 || before.Stages[0].State != "running" {
		t.Fatalf("DescribeTaskInfo before the first pass: %+v %v", before.Task, err)
	}
	if _, err := f.eng.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	tk = f.task(tid)
	if len(tk.Stages) != 1 || !reflect.DeepEqual(tk.Stages[0], before.Stages[0]) || tk.Stage != upgrade.StagePrecheck {
		t.Fatalf("after the first pass: stages %+v, before %+v", tk.Stages, before.Stages)
	}
	if chk, err := f.st.CheckGet(f.ctx, cid, tk.PrecheckID); err != nil || chk.Status != upgrade.CheckRunning || !chk.Created.Equal(tk.Created) {
		t.Fatalf("check after the first pass: %+v %v", chk, err)
	}
}
