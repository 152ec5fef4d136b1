package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus sec seconds as ackup_progress spells its times.
func at(sec int) string {
	return t0.Add(time.Duration(sec) * time.Second).Format("2006-01-02T15:04:05.000Z07:00")
}

// taskWith builds a task body with events at the given second offsets and,
// when progress is not "", the ackup_progress extension given as JSON.
func taskWith(typ, state, stage string, params map[string]any, progress string, events ...[3]string) *taskInfo {
	b := &taskInfo{DescribeTaskInfoResponseBody: cs.DescribeTaskInfoResponseBody{ClusterId: dara.String("c1"), TaskId: dara.String("T-1"),
		TaskType: dara.String(typ), State: dara.String(state), CurrentStage: dara.String(stage), Parameters: params,
		Created: dara.String(t0.Format(time.RFC3339))}}
	for _, e := range events {
		sec, _ := strconv.Atoi(e[0])
		level := "Normal"
		if strings.Contains(e[1], "Blocked") || strings.Contains(e[1], "Failed") {
			level = "Warning"
		}
		b.Events = append(b.Events, &cs.DescribeTaskInfoResponseBodyEvents{Reason: dara.String(e[1]), Message: dara.String(e[2]), Level: dara.String(level),
			Timestamp: dara.String(strconv.FormatInt(t0.Add(time.Duration(sec)*time.Second).UnixMilli(), 10))})
	}
	if progress != "" {
		b.Progress = &taskProgress{}
		if err := json.Unmarshal([]byte(progress), b.Progress); err != nil {
			panic(err)
		}
	}
	return b
}

var (
	testPools = []poolRef{{"np-a", "default-nodepool"}, {"np-b", "pool-b"}}
	testNodes = []nodeRef{{"n.1", "np-a"}, {"n.10", "np-a"}, {"n.11", "np-a"}, {"n.2", "np-b"}}
)

func TestComputeSnapshotProgress(t *testing.T) {
	t.Parallel()
	// Pool a started at 10s and upgraded its second node at 30s; n.11's
	// drain is blocked.
	progress := `{"stage":"UpgradeNodePools","node_pool":"np-a","nodes_total":4,"nodes_done":2,` +
		`"pools":[{"nodepool_id":"np-a","name":"default-nodepool","nodes_total":3,"nodes_done":2,"state":"upgrading","started":"` + at(10) + `","last_done":"` + at(30) + `"},` +
		`{"nodepool_id":"np-b","name":"pool-b","nodes_total":1,"nodes_done":0,"state":"waiting","started":"","last_done":""}],` +
		`"in_flight":[{"node":"n.11","step":"drain"}],` +
		`"blocker":{"node":"n.11","pod":"default/web-0","pdb":"default/web","message":"pod default/web-0 on node n.11 cannot be evicted"}}`
	task := taskWith("cluster_upgrade", "running", "UpgradeNodePools", map[string]any{"target_version": "1.34.1-aliyun.1"}, progress,
		[3]string{"0", "UpgradeStart", "upgrade requested"})
	s := computeSnapshot(task, nil, nil, nil)
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

	// GetUpgradeStatus's message is shown as it is; the blocker is the
	// field's, whatever the prose says.
	status := &cs.GetUpgradeStatusResponseBody{UpgradeTask: &cs.GetUpgradeStatusResponseBodyUpgradeTask{
		Message: dara.String("upgrading node pool default-nodepool: 2 of 4 nodes upgraded; in flight: n.11 (drain); blocked: PDB says no")}}
	if s := computeSnapshot(task, status, nil, nil); s.Blocker != "pod default/web-0 on node n.11 cannot be evicted" || !strings.HasSuffix(s.Message, "PDB says no") {
		t.Errorf("with the status: blocker %q, message %q", s.Blocker, s.Message)
	}
	// Event messages are for people: a blocked-looking event without the
	// field names no blocker.
	noBlocker := taskWith("cluster_upgrade", "running", "UpgradeNodePools", nil, `{"pools":[]}`,
		[3]string{"1", "NodeDrainBlocked", "pod default/web-0 on node n.11 cannot be evicted"})
	if s := computeSnapshot(noBlocker, nil, testPools, testNodes); s.Blocker != "" || len(s.InFlight) != 0 {
		t.Errorf("blocker %q and in flight %v read from an event's message", s.Blocker, s.InFlight)
	}
}

func TestComputeSnapshotScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		task  *taskInfo
		pools string // "name upgraded/total" joined by ", "
		line  string
	}{
		{"master only", taskWith("cluster_upgrade", "running", "UpgradeControlPlane", map[string]any{"master_only": true, "target_version": "v2"}, `{"pools":[]}`),
			"", "upgrading the control plane to v2"},
		{"node pool upgrade of pool-b, from a server without ackup_progress", taskWith("nodepool_upgrade", "running", "Precheck", map[string]any{"nodepool_id": "np-b", "target_version": "v2"}, ""),
			"pool-b 0/1", "prechecking the upgrade to v2"},
		{"node_names narrow the total", taskWith("nodepool_upgrade", "paused", "UpgradeNodePools", map[string]any{"node_names": []any{"n.1", "n.11"}},
			`{"pools":[{"nodepool_id":"np-a","name":"default-nodepool","nodes_total":2,"nodes_done":0,"state":"upgrading","started":"`+at(0)+`","last_done":""}]}`),
			"default-nodepool 0/2", "paused: upgrading pool default-nodepool 0/2 nodes"},
		{"node_names narrow the total without ackup_progress", taskWith("nodepool_upgrade", "paused", "UpgradeNodePools", map[string]any{"node_names": []any{"n.1", "n.11"}}, ""),
			"default-nodepool 0/2", "paused: upgrading pool default-nodepool 0/2 nodes"},
		{"success", taskWith("nodepool_upgrade", "success", "UpgradeNodePools", map[string]any{"nodepool_id": "np-b", "target_version": "v2"},
			`{"pools":[{"nodepool_id":"np-b","name":"pool-b","nodes_total":1,"nodes_done":1,"state":"done","started":"`+at(0)+`","last_done":"`+at(1)+`"}]}`),
			"pool-b 1/1", "upgrade succeeded: node pool pool-b reached v2"},
		{"failed with the last warning", taskWith("cluster_upgrade", "failed", "UpgradeControlPlane", map[string]any{}, "",
			[3]string{"0", "ControlPlaneUpgradeFailed", "the new kube-apiserver did not pass its health check"}),
			"default-nodepool 0/3, pool-b 0/1", "upgrade failed: the new kube-apiserver did not pass its health check"},
		{"canceled", taskWith("cluster_upgrade", "canceled", "UpgradeNodePools", map[string]any{}, ""),
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
