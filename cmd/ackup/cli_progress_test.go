package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// taskWith builds a task body with events at the given second offsets.
func taskWith(typ, state, stage string, params map[string]any, events ...[3]string) *cs.DescribeTaskInfoResponseBody {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	b := &cs.DescribeTaskInfoResponseBody{ClusterId: dara.String("c1"), TaskId: dara.String("T-1"), TaskType: dara.String(typ),
		State: dara.String(state), CurrentStage: dara.String(stage), Parameters: params, Created: dara.String(t0.Format(time.RFC3339))}
	for _, e := range events {
		sec, _ := strconv.Atoi(e[0])
		level := "Normal"
		if strings.Contains(e[1], "Blocked") || strings.Contains(e[1], "Failed") {
			level = "Warning"
		}
		b.Events = append(b.Events, &cs.DescribeTaskInfoResponseBodyEvents{Reason: dara.String(e[1]), Message: dara.String(e[2]), Level: dara.String(level),
			Timestamp: dara.String(strconv.FormatInt(t0.Add(time.Duration(sec)*time.Second).UnixMilli(), 10))})
	}
	return b
}

var (
	testPools = []poolRef{{"np-a", "default-nodepool"}, {"np-b", "pool-b"}}
	testNodes = []nodeRef{{"n.1", "np-a"}, {"n.10", "np-a"}, {"n.11", "np-a"}, {"n.2", "np-b"}}
)

func TestComputeSnapshotProgress(t *testing.T) {
	t.Parallel()
	task := taskWith("cluster_upgrade", "running", "UpgradeNodePools", map[string]any{"target_version": "1.34.1-aliyun.1"},
		[3]string{"0", "UpgradeStart", "upgrade requested"},
		[3]string{"10", "NodePoolUpgradeStart", "upgrading 3 nodes of node pool default-nodepool (np-a) to 1.34.1-aliyun.1, 1 at a time"},
		[3]string{"10", "NodeCordoned", "node n.10 cordoned"},
		[3]string{"11", "NodeDrainStart", "draining node n.10"},
		[3]string{"20", "NodeUpgraded", "node n.10 upgraded from 1.33 to 1.34"},
		[3]string{"21", "NodeUncordoned", "node n.10 uncordoned"},
		[3]string{"21", "NodeCordoned", "node n.1 cordoned"},
		[3]string{"30", "NodeUpgraded", "node n.1 upgraded from 1.33 to 1.34"},
		[3]string{"31", "NodeUncordoned", "node n.1 uncordoned"},
		[3]string{"31", "NodeDrainStart", "draining node n.11"},
		[3]string{"32", "NodeDrainBlocked", "pod default/web-0 on node n.11 cannot be evicted"},
	)
	s := computeSnapshot(task, nil, testPools, testNodes)
	if s.Target != "1.34.1-aliyun.1" || s.Phase != "nodes" || s.done() {
		t.Errorf("snapshot = %+v", s)
	}
	if len(s.Pools) != 2 {
		t.Fatalf("pools = %+v", s.Pools)
	}
	a, b := s.Pools[0], s.Pools[1]
	if a.Upgraded != 2 || a.Total != 3 || a.State != "upgrading" || a.PerNode != 10*time.Second {
		t.Errorf("pool a = %+v, want 2/3 upgrading at 10s per node", a)
	}
	if b.Upgraded != 0 || b.Total != 1 || b.State != "waiting" || b.PerNode != 10*time.Second {
		t.Errorf("pool b = %+v, want 0/1 waiting borrowing 10s per node", b)
	}
	if eta, ok := a.eta(time.Time{}); !ok || eta != 10*time.Second {
		t.Errorf("eta = %s %v, want 10s", eta, ok)
	}
	lastUpgrade := time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)
	if eta, _ := a.eta(lastUpgrade.Add(4 * time.Second)); eta != 6*time.Second {
		t.Errorf("eta 4s later = %s, want 6s", eta)
	}
	if len(s.InFlight) != 1 || s.InFlight[0] != (nodeInFlight{"n.11", "drain"}) {
		t.Errorf("in flight = %+v, want n.11 draining", s.InFlight)
	}
	if s.Blocker != "pod default/web-0 on node n.11 cannot be evicted" {
		t.Errorf("blocker = %q", s.Blocker)
	}
	want := "upgrading pool default-nodepool 2/3 nodes, ETA 10s, in flight n.11 (drain), blocked: pod default/web-0 on node n.11 cannot be evicted"
	if got := s.line(time.Time{}); got != want {
		t.Errorf("line =\n %q\nwant\n %q", got, want)
	}

	// GetUpgradeStatus's message, when it describes the task, names the blocker.
	status := &cs.GetUpgradeStatusResponseBody{UpgradeTask: &cs.GetUpgradeStatusResponseBodyUpgradeTask{
		Message: dara.String("upgrading node pool default-nodepool: 2 of 4 nodes upgraded; in flight: n.11 (drain); blocked: PDB says no")}}
	if s := computeSnapshot(task, status, testPools, testNodes); s.Blocker != "PDB says no" {
		t.Errorf("blocker from status = %q", s.Blocker)
	}
}

func TestComputeSnapshotScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		task  *cs.DescribeTaskInfoResponseBody
		pools string // "name upgraded/total" joined by ", "
		line  string
	}{
		{"master only", taskWith("cluster_upgrade", "running", "UpgradeControlPlane", map[string]any{"master_only": true, "target_version": "v2"}),
			"", "upgrading the control plane to v2"},
		{"node pool upgrade of pool-b", taskWith("nodepool_upgrade", "running", "Precheck", map[string]any{"nodepool_id": "np-b", "target_version": "v2"}),
			"pool-b 0/1", "prechecking the upgrade to v2"},
		{"node_names narrow the total", taskWith("nodepool_upgrade", "paused", "UpgradeNodePools", map[string]any{"node_names": []any{"n.1", "n.11"}},
			[3]string{"0", "NodePoolUpgradeStart", "upgrading node pool default-nodepool"}),
			"default-nodepool 0/2", "paused: upgrading pool default-nodepool 0/2 nodes"},
		{"success", taskWith("nodepool_upgrade", "success", "UpgradeNodePools", map[string]any{"nodepool_id": "np-b", "target_version": "v2"},
			[3]string{"0", "NodeUpgraded", "node n.2 upgraded"}, [3]string{"1", "NodePoolUpgraded", "node pool pool-b (np-b) upgraded"}),
			"pool-b 1/1", "upgrade succeeded: node pool pool-b reached v2"},
		{"failed with the last warning", taskWith("cluster_upgrade", "failed", "UpgradeControlPlane", map[string]any{},
			[3]string{"0", "ControlPlaneUpgradeFailed", "the new kube-apiserver did not pass its health check"}),
			"default-nodepool 0/3, pool-b 0/1", "upgrade failed: the new kube-apiserver did not pass its health check"},
		{"canceled", taskWith("cluster_upgrade", "canceled", "UpgradeNodePools", map[string]any{}),
			"default-nodepool 0/3, pool-b 0/1", "upgrade canceled: -"},
	}
	for _, tc := range tests {
		s := computeSnapshot(tc.task, nil, testPools, testNodes)
		var pools []string
		for _, p := range s.Pools {
			pools = append(pools, p.Name+" "+strconv.Itoa(p.Upgraded)+"/"+strconv.Itoa(p.Total))
		}
		if got := strings.Join(pools, ", "); got != tc.pools {
			t.Errorf("%s: pools %q, want %q", tc.name, got, tc.pools)
		}
		if got := s.line(time.Time{}); got != tc.line {
			t.Errorf("%s: line %q, want %q", tc.name, got, tc.line)
		}
	}
}
