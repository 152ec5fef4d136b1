package upgrade

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestCheckUpgradeTarget(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"1.32.1-aliyun.1", "1.32.7-aliyun.1", true},  // newer patch
		{"1.32.1-aliyun.1", "1.33.3-aliyun.1", true},  // next minor
		{"1.32.7-aliyun.1", "1.32.7-aliyun.1", false}, // equal
		{"1.32.7-aliyun.1", "1.32.1-aliyun.1", false}, // older
		{"1.32.7-aliyun.1", "1.34.1-aliyun.1", false}, // skips a minor
		{"1.32.7-aliyun.1", "1.33.9-aliyun.1", false}, // not in the catalogue
		{"1.32.7-aliyun.1", "latest", false},
	} {
		err := CheckUpgradeTarget(tc.from, tc.to)
		if (err == nil) != tc.ok {
			t.Errorf("%s -> %s: %v, want ok=%v", tc.from, tc.to, err, tc.ok)
		}
		if err != nil {
			if e, ok := AsError(err); !ok || e.Kind != KindInvalid {
				t.Errorf("%s -> %s: error kind %v", tc.from, tc.to, err)
			}
		}
	}
	if got := UpgradableVersions("1.33.3-aliyun.1"); len(got) != 1 || got[0] != "1.34.1-aliyun.1" {
		t.Errorf("UpgradableVersions(1.33.3) = %v", got)
	}
}

func TestCatalogueCoversFourMinors(t *testing.T) {
	minors := map[string]int{}
	for _, v := range Catalogue() {
		minors[Minor(v.Name)]++
		if !v.Expires.After(v.Released) {
			t.Errorf("%s expires before its release", v.Name)
		}
	}
	if len(minors) < 4 {
		t.Fatalf("catalogue has %d minors, want at least 4", len(minors))
	}
}

func TestCheckNodeTarget(t *testing.T) {
	if err := CheckNodeTarget("1.33.3-aliyun.1", "1.32.7-aliyun.1", "1.34.1-aliyun.1"); err == nil {
		t.Error("nodes allowed past the control plane")
	}
	if err := CheckNodeTarget("1.33.3-aliyun.1", "1.33.3-aliyun.1", "1.32.7-aliyun.1"); err == nil {
		t.Error("nodes allowed to go down")
	}
	if err := CheckNodeTarget("1.33.3-aliyun.1", "1.32.7-aliyun.1", "1.33.3-aliyun.1"); err != nil {
		t.Error(err)
	}
}

func TestStatusOf(t *testing.T) {
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	updated := created.Add(time.Hour)
	spec := json.RawMessage(`{"target_version":"1.33.3-aliyun.1"}`)
	plan := json.RawMessage(`{"phase":"nodes","total":5,"upgraded":2}`)
	at := func(tk Task) *Task {
		tk.Type, tk.Created, tk.Updated = TaskClusterUpgrade, created, updated
		return &tk
	}
	for _, tc := range []struct {
		name string
		task *Task
		want UpgradeStatus
	}{
		{"never", nil, UpgradeStatus{UpgradeStep: "not_start"}},
		{"before the engine", at(Task{State: TaskRunning, Params: spec}), UpgradeStatus{Status: "running", UpgradeStep: "prechecking",
			TaskStatus: "running", TaskMessage: "prechecking the upgrade to 1.33.3-aliyun.1", State: "running", Phase: PhaseMaster1}},
		{"prechecking", at(Task{State: TaskRunning, Step: StepPrechecking, Stage: StagePrecheck, PrecheckID: "chk",
			Stages: []Stage{{Name: StagePrecheck}}}),
			UpgradeStatus{Status: "running", UpgradeStep: "prechecking", PrecheckReportID: "chk", TaskStatus: "running", State: "running", Phase: PhaseMaster1}},
		{"nodes", at(Task{State: TaskRunning, Step: StepUpgrading, Stage: StageNodePools, Plan: plan}),
			UpgradeStatus{Status: "running", UpgradeStep: "upgrading", TaskStatus: "running", State: "running", Phase: PhaseNodes, Total: 5, Succeeded: 2}},
		{"paused", at(Task{State: TaskPaused, Step: StepUpgrading}), UpgradeStatus{Status: "pause", UpgradeStep: "pause", TaskStatus: "running", State: "paused", Phase: PhaseMaster1}},
		{"success", at(Task{State: TaskSuccess, Step: StepUpgrading}), UpgradeStatus{Status: "success", UpgradeStep: "success", TaskStatus: "Success",
			State: "success", Phase: PhaseMaster1, Finished: updated}},
		{"failed", at(Task{State: TaskFailed, Step: StepPrechecking, ErrorMessage: "boom"}), UpgradeStatus{Status: "fail", UpgradeStep: "pause",
			ErrorMessage: "boom", TaskStatus: "Failed", State: "failed", Phase: PhaseMaster1, Failed: true, Finished: updated}},
		{"canceled", at(Task{State: TaskCanceled, Step: StepUpgrading}), UpgradeStatus{Status: "fail", UpgradeStep: "upgrading",
			ErrorMessage: "the upgrade was canceled", TaskStatus: "Failed", State: "canceled", Phase: PhaseMaster1, Canceled: true, Finished: updated}},
	} {
		if tc.want.State != "" {
			tc.want.Created = created
		}
		if got := StatusOf(tc.task, nil); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: StatusOf = %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
	evs := []TaskEvent{{Reason: "TaskFailed"}, {Reason: ReasonTaskRetried}, {Reason: "TaskFailed"}, {Reason: ReasonTaskRetried}}
	if got := StatusOf(at(Task{State: TaskRunning}), evs); got.Retries != 2 || len(got.Events) != 4 {
		t.Errorf("retries %d, events %d; want 2, 4", got.Retries, len(got.Events))
	}
}

func TestTransitions(t *testing.T) {
	run := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskRunning}
	paused := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskPaused}
	done := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskSuccess}
	canceling := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskRunning, Desired: DesireCancel}
	failed := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskFailed}
	createFailed := &Task{ID: "T", Type: TaskClusterCreate, State: TaskFailed}
	canceled := &Task{ID: "T", Type: TaskNodePoolUpgrade, State: TaskCanceled}
	for _, tc := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"pause running", CanPause(run), true},
		{"pause paused", CanPause(paused), false},
		{"pause done", CanPause(done), false},
		{"pause canceling", CanPause(canceling), false},
		{"resume paused", CanResume(paused), true},
		{"resume running", CanResume(run), false},
		{"cancel running", CanCancel(run), true},
		{"cancel paused", CanCancel(paused), true},
		{"cancel done", CanCancel(done), false},
		{"cancel canceling", CanCancel(canceling), false},
		{"resume failed upgrade", CanResume(failed), true},
		{"cancel failed upgrade", CanCancel(failed), true},
		{"pause failed upgrade", CanPause(failed), false},
		{"resume failed create", CanResume(createFailed), false},
		{"cancel failed create", CanCancel(createFailed), false},
		{"resume canceled", CanResume(canceled), false},
		{"cancel canceled", CanCancel(canceled), false},
	} {
		if (tc.err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, tc.err)
		}
		if tc.err != nil {
			if e, _ := AsError(tc.err); e == nil || e.Kind != KindTaskState {
				t.Errorf("%s: kind of %v", tc.name, tc.err)
			}
		}
	}
}

func TestNodeOrdinal(t *testing.T) {
	for k := 0; k < 1000; k += 37 {
		if got := NodeOrdinal(NodeIP(k)); got != k+1 {
			t.Fatalf("NodeOrdinal(NodeIP(%d)) = %d", k, got)
		}
	}
	if NodeOrdinal("10.0.0.1") != 0 {
		t.Fatal("foreign address got an ordinal")
	}
}
