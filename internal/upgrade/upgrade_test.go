package upgrade

import "testing"

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
	for _, tc := range []struct {
		task *Task
		want UpgradeStatus
	}{
		{nil, UpgradeStatus{UpgradeStep: "not_start"}},
		{&Task{State: TaskRunning, Step: StepPrechecking, PrecheckID: "chk"}, UpgradeStatus{Status: "running", UpgradeStep: "prechecking", PrecheckReportID: "chk", TaskStatus: "running"}},
		{&Task{State: TaskRunning, Step: StepUpgrading}, UpgradeStatus{Status: "running", UpgradeStep: "upgrading", TaskStatus: "running"}},
		{&Task{State: TaskPaused, Step: StepUpgrading}, UpgradeStatus{Status: "pause", UpgradeStep: "pause", TaskStatus: "running"}},
		{&Task{State: TaskSuccess, Step: StepUpgrading}, UpgradeStatus{Status: "success", UpgradeStep: "success", TaskStatus: "Success"}},
		{&Task{State: TaskFailed, Step: StepPrechecking, ErrorMessage: "boom"}, UpgradeStatus{Status: "fail", UpgradeStep: "prechecking", ErrorMessage: "boom", TaskStatus: "Failed"}},
		{&Task{State: TaskCanceled, Step: StepUpgrading}, UpgradeStatus{Status: "fail", UpgradeStep: "upgrading", ErrorMessage: "the upgrade was canceled", TaskStatus: "Failed"}},
	} {
		if got := StatusOf(tc.task); got != tc.want {
			t.Errorf("StatusOf(%+v) = %+v, want %+v", tc.task, got, tc.want)
		}
	}
}

func TestTransitions(t *testing.T) {
	run := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskRunning}
	paused := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskPaused}
	done := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskSuccess}
	canceling := &Task{ID: "T", Type: TaskClusterUpgrade, State: TaskRunning, Desired: DesireCancel}
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
