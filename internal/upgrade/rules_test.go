package upgrade

import (
	"strings"
	"testing"
)

// wantErr checks err against a wanted kind and message fragment; kind 0
// means no error.
func wantErr(t *testing.T, name string, err error, kind Kind, msg string) {
	t.Helper()
	if kind == 0 {
		if err != nil {
			t.Errorf("%s: %v, want no error", name, err)
		}
		return
	}
	e, ok := AsError(err)
	switch {
	case !ok:
		t.Errorf("%s: %v, want a %v *Error containing %q", name, err, kind, msg)
	case e.Kind != kind || !strings.Contains(e.Message, msg):
		t.Errorf("%s: kind %v %q, want kind %v containing %q", name, e.Kind, e.Message, kind, msg)
	}
}

func TestValidateNodePoolUpgrade(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  NodePoolUpgradeRequest
		kind Kind
		msg  string
	}{
		{"empty takes the defaults", NodePoolUpgradeRequest{}, 0, ""},
		{"parallelism 1", NodePoolUpgradeRequest{MaxParallelism: new(1)}, 0, ""},
		{"parallelism 10", NodePoolUpgradeRequest{MaxParallelism: new(10)}, 0, ""},
		{"parallelism 11", NodePoolUpgradeRequest{MaxParallelism: new(11)}, KindInvalid, "rolling_policy.max_parallelism must be between 1 and 10, got 11"},
		{"parallelism 0", NodePoolUpgradeRequest{MaxParallelism: new(0)}, KindInvalid, "rolling_policy.max_parallelism must be between 1 and 10, got 0"},
		{"parallelism -3", NodePoolUpgradeRequest{MaxParallelism: new(-3)}, KindInvalid, "got -3"},
		{"interval 0 is no wait", NodePoolUpgradeRequest{BatchInterval: new(0), PausePolicy: PauseEveryBatch}, 0, ""},
		{"interval 5", NodePoolUpgradeRequest{BatchInterval: new(5)}, 0, ""},
		{"interval 120 with NotPause", NodePoolUpgradeRequest{BatchInterval: new(120), PausePolicy: PauseNotPause}, 0, ""},
		{"interval 4", NodePoolUpgradeRequest{BatchInterval: new(4)}, KindInvalid, "rolling_policy.batch_interval must be 0 (no wait) or between 5 and 120 minutes, got 4"},
		{"interval 121", NodePoolUpgradeRequest{BatchInterval: new(121)}, KindInvalid, "got 121"},
		{"interval with FirstBatch", NodePoolUpgradeRequest{BatchInterval: new(10), PausePolicy: PauseFirstBatch}, KindInvalid,
			"rolling_policy.batch_interval is only allowed with rolling_policy.pause_policy NotPause, got pause_policy FirstBatch"},
		{"every policy", NodePoolUpgradeRequest{PausePolicy: PauseEveryBatch}, 0, ""},
		{"unknown policy", NodePoolUpgradeRequest{PausePolicy: "Sometimes"}, KindInvalid,
			`rolling_policy.pause_policy "Sometimes" is not allowed; allowed values: FirstBatch, EveryBatch, NotPause`},
		{"empty node name", NodePoolUpgradeRequest{NodeNames: []string{"a", ""}}, KindInvalid, "node_names[1] is empty"},
		{"ignore warnings", NodePoolUpgradeRequest{IgnoreWarningCheck: true}, 0, ""},
	} {
		wantErr(t, tc.name, ValidateNodePoolUpgrade(tc.req), tc.kind, tc.msg)
	}
}

func TestNodePoolUpgradeDefaults(t *testing.T) {
	t.Parallel()
	var r NodePoolUpgradeRequest
	if r.Parallelism() != NodePoolParallelismDefault || r.Policy() != PauseNotPause || r.Interval() != 0 {
		t.Errorf("defaults: parallelism %d, policy %s, interval %d", r.Parallelism(), r.Policy(), r.Interval())
	}
	r = NodePoolUpgradeRequest{MaxParallelism: new(3), BatchInterval: new(7), PausePolicy: PauseFirstBatch}
	if r.Parallelism() != 3 || r.Policy() != PauseFirstBatch || r.Interval() != 7 {
		t.Errorf("set: parallelism %d, policy %s, interval %d", r.Parallelism(), r.Policy(), r.Interval())
	}
}

func TestValidateClusterUpgrade(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  ClusterUpgradeRequest
		kind Kind
		msg  string
	}{
		{"version only", ClusterUpgradeRequest{NextVersion: "v"}, 0, ""},
		{"no version", ClusterUpgradeRequest{}, KindMissing, "next_version is required"},
		{"parallelism 100", ClusterUpgradeRequest{NextVersion: "v", MaxParallelism: new(100)}, 0, ""},
		{"parallelism 101", ClusterUpgradeRequest{NextVersion: "v", MaxParallelism: new(101)}, KindInvalid, "rolling_policy.max_parallelism must be between 1 and 100, got 101"},
		{"parallelism 0", ClusterUpgradeRequest{NextVersion: "v", MaxParallelism: new(0)}, KindInvalid, "must be between 1 and 100, got 0"},
	} {
		wantErr(t, tc.name, ValidateClusterUpgrade(tc.req), tc.kind, tc.msg)
	}
	if p := (ClusterUpgradeRequest{}).Parallelism(); p != ClusterParallelismDefault {
		t.Errorf("default parallelism %d", p)
	}
}

func TestValidateClusterName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kind Kind
	}{
		{"a", 0}, {"demo-1", 0}, {"9lives", 0}, {strings.Repeat("x", 63), 0},
		{"", KindMissing}, {"-demo", KindInvalid}, {"de_mo", KindInvalid}, {"de mo", KindInvalid},
		{strings.Repeat("x", 64), KindInvalid}, {"démo", KindInvalid},
	} {
		wantErr(t, "name "+tc.name, ValidateClusterName(tc.name), tc.kind, "name")
	}
}

func TestValidateClusterShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape ClusterShape
		kind  Kind
		msg   string
	}{
		{ClusterShape{}, 0, ""},
		{ClusterShape{ClusterType: TypeKubernetes, ClusterSpec: SpecStandard, Profile: ProfileLingjun}, 0, ""},
		{ClusterShape{ClusterType: "Ask"}, KindInvalid, `cluster_type "Ask" is not allowed; allowed values: Kubernetes, ManagedKubernetes, ExternalKubernetes`},
		{ClusterShape{ClusterSpec: "ack.pro.large"}, KindInvalid, `cluster_spec "ack.pro.large" is not allowed; allowed values: ack.pro.small, ack.standard`},
		{ClusterShape{Profile: "Cloud"}, KindInvalid, `profile "Cloud" is not allowed; allowed values: Default, Edge, Serverless, Lingjun`},
	} {
		wantErr(t, tc.shape.ClusterType+"/"+tc.shape.ClusterSpec+"/"+tc.shape.Profile, ValidateClusterShape(tc.shape), tc.kind, tc.msg)
	}
	if got := (ClusterShape{}).WithDefaults(); got != (ClusterShape{TypeManagedKubernetes, SpecProSmall, ProfileDefault}) {
		t.Errorf("defaults = %+v", got)
	}
	if got := (ClusterShape{ClusterType: TypeKubernetes}).WithDefaults(); got.ClusterSpec != "" {
		t.Errorf("a dedicated cluster got edition %q", got.ClusterSpec)
	}
}

func TestPausesAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p      PausePolicy
		batch  int
		pauses bool
	}{
		{PauseFirstBatch, 1, true}, {PauseFirstBatch, 2, false}, {PauseEveryBatch, 1, true}, {PauseEveryBatch, 5, true},
		{PauseNotPause, 1, false}, {"", 1, false},
	} {
		if got := tc.p.PausesAfter(tc.batch); got != tc.pauses {
			t.Errorf("%s after batch %d: %v", tc.p, tc.batch, got)
		}
	}
}

func TestCheckItemBlocks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level, status     string
		blocks, unlessIgn bool // blocks without and with ignore_warning_check
	}{
		{CheckLevelError, ItemFailed, true, true},
		{CheckLevelWarning, ItemFailed, true, false},
		{CheckLevelInfo, ItemFailed, false, false},
		{CheckLevelError, ItemPassed, false, false},
		{CheckLevelWarning, ItemWarning, false, false},
	} {
		it := CheckItem{Name: "x", Level: tc.level, Status: tc.status}
		if it.Blocks(false) != tc.blocks || it.Blocks(true) != tc.unlessIgn {
			t.Errorf("%s/%s: blocks %v, with ignore %v; want %v, %v", tc.level, tc.status, it.Blocks(false), it.Blocks(true), tc.blocks, tc.unlessIgn)
		}
	}
	items := []CheckItem{{Name: "a", Level: CheckLevelError, Status: ItemFailed}, {Name: "b", Level: CheckLevelWarning, Status: ItemFailed}}
	if got := Blocking(items, true); len(got) != 1 || got[0].Name != "a" {
		t.Errorf("Blocking(ignore) = %+v", got)
	}
	if got := Blocking(items, false); len(got) != 2 {
		t.Errorf("Blocking = %+v", got)
	}
}

func TestIgnoresWarnings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec UpgradeSpec
		want bool
	}{
		{UpgradeSpec{}, true}, // UpgradeCluster cannot ask
		{UpgradeSpec{SkipControlPlane: true}, false},
		{UpgradeSpec{SkipControlPlane: true, IgnoreWarningCheck: true}, true},
	} {
		if got := tc.spec.IgnoresWarnings(); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.spec, got, tc.want)
		}
	}
}
