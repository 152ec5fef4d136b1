package main

import (
	"cmp"
	"slices"
	"strings"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"

	"github.com/ackup/ackup/internal/upgrade"
)

// poolRef and nodeRef are the cluster's shape as the watch needs it: which
// node belongs to which pool.
type poolRef struct{ id, name string }

type nodeRef struct{ name, poolID string }

// snapshot is one observation of an upgrade task, computed from the task's
// events, the cluster's node pools and nodes, and (for cluster upgrades)
// GetUpgradeStatus. It is what watch renders and, with --output json,
// prints.
type snapshot struct {
	ClusterID string         `json:"cluster_id"`
	TaskID    string         `json:"task_id"`
	TaskType  string         `json:"task_type"`
	State     string         `json:"state"`
	Stage     string         `json:"stage"`
	Phase     string         `json:"phase"` // precheck, control-plane, nodes, or the stage's own name
	Target    string         `json:"target_version,omitempty"`
	Pools     []poolProgress `json:"pools"`
	InFlight  []nodeInFlight `json:"in_flight,omitempty"`
	Blocker   string         `json:"blocker,omitempty"`
	Message   string         `json:"message,omitempty"`
	Error     string         `json:"error,omitempty"`
	Started   time.Time      `json:"started"`
}

// poolProgress is one node pool's progress: nodes upgraded out of total,
// and the observed time per node that the ETA is computed from.
type poolProgress struct {
	ID       string        `json:"nodepool_id"`
	Name     string        `json:"name"`
	Upgraded int           `json:"upgraded"`
	Total    int           `json:"total"`
	State    string        `json:"state"` // waiting, upgrading, done
	PerNode  time.Duration `json:"per_node_ns,omitempty"`
	start    time.Time
	last     time.Time // when the latest node of the pool was upgraded
}

// nodeInFlight is a node being upgraded and the step it is in (cordon,
// drain, upgrade, ready, uncordon).
type nodeInFlight struct {
	Name string `json:"name"`
	Step string `json:"step"`
}

// Task states that end a task. ACK's docs spell failure both ways.
func terminalState(s string) bool {
	switch upgrade.TaskState(s) {
	case upgrade.TaskSuccess, upgrade.TaskFailed, "fail", upgrade.TaskCanceled:
		return true
	}
	return false
}

// done reports whether the task has ended.
func (s *snapshot) done() bool { return terminalState(s.State) }

// taskInfo is DescribeTaskInfo's body as the watch reads it: the SDK's
// model and ackup's ackup_progress extension, which the model leaves out.
type taskInfo struct {
	cs.DescribeTaskInfoResponseBody
	Progress *taskProgress `json:"ackup_progress"`
}

// taskProgress is ackup_progress: where the upgrade stands, as fields.
type taskProgress struct {
	Stage      string `json:"stage"`
	NodePool   string `json:"node_pool"`
	NodesTotal int    `json:"nodes_total"`
	NodesDone  int    `json:"nodes_done"`
	Pools      []struct {
		ID         string `json:"nodepool_id"`
		Name       string `json:"name"`
		NodesTotal int    `json:"nodes_total"`
		NodesDone  int    `json:"nodes_done"`
		State      string `json:"state"`
		Started    string `json:"started"`
		LastDone   string `json:"last_done"`
	} `json:"pools"`
	InFlight []struct {
		Node string           `json:"node"`
		Step upgrade.NodeStep `json:"step"`
	} `json:"in_flight"`
	Blocker *struct {
		Node    string `json:"node"`
		Pod     string `json:"pod"`
		PDB     string `json:"pdb"`
		Message string `json:"message"`
	} `json:"blocker"`
}

// computeSnapshot derives a snapshot from the task and the cluster's
// GetUpgradeStatus view (nil when it does not describe this task). A
// server that sends ackup_progress gives the counts, steps and blocker;
// from any other the watch shows the pools' sizes (from the cluster's
// pools and nodes) and the task's state.
func computeSnapshot(task *taskInfo, status *cs.GetUpgradeStatusResponseBody, pools []poolRef, nodes []nodeRef) snapshot {
	s := snapshot{ClusterID: str(task.ClusterId), TaskID: str(task.TaskId), TaskType: str(task.TaskType),
		State: str(task.State), Stage: str(task.CurrentStage), Target: paramString(task.Parameters, "target_version", "next_version", "kubernetes_version")}
	s.Started, _ = parseAPITime(str(task.Created))
	s.Phase = phaseOf(s.Stage)
	if p := task.Progress; p != nil {
		s.Pools = progressPools(p)
		for _, n := range p.InFlight {
			if !s.done() {
				s.InFlight = append(s.InFlight, nodeInFlight{Name: n.Node, Step: string(n.Step)})
			}
		}
		if p.Blocker != nil && !s.done() {
			s.Blocker = p.Blocker.Message
		}
	} else {
		s.Pools = scopePools(&task.DescribeTaskInfoResponseBody, pools, nodes)
	}
	if s.Pools == nil {
		s.Pools = []poolProgress{} // "pools": [] rather than null in JSON
	}
	finishPools(s.Pools)
	s.describe(&task.DescribeTaskInfoResponseBody, status)
	return s
}

// progressPools turns ackup_progress's pools into the watch's.
func progressPools(p *taskProgress) []poolProgress {
	out := make([]poolProgress, 0, len(p.Pools))
	for _, pp := range p.Pools {
		start, _ := parseAPITime(pp.Started)
		last, _ := parseAPITime(pp.LastDone)
		out = append(out, poolProgress{ID: pp.ID, Name: pp.Name, Upgraded: pp.NodesDone, Total: pp.NodesTotal,
			State: cmp.Or(pp.State, upgrade.PoolWaiting), start: start, last: last})
	}
	return out
}

// describe fills the person-readable message and error.
func (s *snapshot) describe(task *cs.DescribeTaskInfoResponseBody, status *cs.GetUpgradeStatusResponseBody) {
	if status != nil && status.UpgradeTask != nil {
		s.Message = str(status.UpgradeTask.Message)
	}
	if task.Error != nil {
		s.Error = str(task.Error.Message)
	}
	if s.Error == "" && status != nil && s.done() {
		s.Error = str(status.ErrorMessage)
	}
	if s.Error == "" && s.State != string(upgrade.TaskSuccess) && s.done() {
		for _, e := range slices.Backward(task.Events) {
			if str(e.Level) == upgrade.LevelWarning {
				s.Error = str(e.Message)
				break
			}
		}
	}
}

// scopePools returns the pools the task upgrades, with their node totals:
// the target pool of a node pool upgrade, no pool for a control-plane-only
// upgrade, every non-empty pool otherwise. A node_names parameter narrows
// the totals to those nodes.
func scopePools(task *cs.DescribeTaskInfoResponseBody, pools []poolRef, nodes []nodeRef) []poolProgress {
	if b, _ := task.Parameters["master_only"].(bool); b {
		return nil
	}
	only := ""
	if str(task.TaskType) == taskNodePoolUpgrade {
		only = paramString(task.Parameters, "nodepool_id")
		if only == "" && task.Target != nil {
			only = str(task.Target.Id)
		}
	}
	var selected map[string]bool
	if list, ok := task.Parameters["node_names"].([]any); ok && len(list) > 0 {
		selected = map[string]bool{}
		for _, n := range list {
			if name, ok := n.(string); ok {
				selected[name] = true
			}
		}
	}
	var out []poolProgress
	for _, p := range pools {
		if only != "" && p.id != only {
			continue
		}
		pp := poolProgress{ID: p.id, Name: p.name, State: upgrade.PoolWaiting}
		for _, n := range nodes {
			if n.poolID == p.id && (selected == nil || selected[n.name]) {
				pp.Total++
			}
		}
		if pp.Total > 0 {
			out = append(out, pp)
		}
	}
	return out
}

// finishPools settles each pool's state and observed time per node; a pool
// that has not started borrows the mean of the pools that have.
func finishPools(pools []poolProgress) {
	var sum time.Duration
	var n int
	for i := range pools {
		p := &pools[i]
		if p.Upgraded >= p.Total {
			p.State = upgrade.PoolDone
		}
		if p.State != upgrade.PoolDone && !p.start.IsZero() {
			p.State = upgrade.PoolUpgrading
		}
		if p.Upgraded > 0 && !p.start.IsZero() && p.last.After(p.start) {
			p.PerNode = p.last.Sub(p.start) / time.Duration(p.Upgraded)
			sum += p.PerNode
			n++
		}
	}
	for i := range pools {
		if pools[i].PerNode == 0 && n > 0 {
			pools[i].PerNode = sum / time.Duration(n)
		}
	}
}

// eta estimates the time left for the pool's remaining nodes: the observed
// time per node for each of them, less the time since the latest node
// finished when now is given (zero now gives the estimate as of that
// moment). It reports false when nothing has been observed yet.
func (p poolProgress) eta(now time.Time) (time.Duration, bool) {
	if p.PerNode <= 0 || p.State == upgrade.PoolDone {
		return 0, p.State == upgrade.PoolDone
	}
	left := p.PerNode * time.Duration(p.Total-p.Upgraded)
	if !now.IsZero() && !p.last.IsZero() {
		left -= now.Sub(p.last)
	}
	return max(left, 0), true
}

// current returns the pool being upgraded (else the first still waiting).
func (s *snapshot) current() *poolProgress {
	for _, state := range []string{upgrade.PoolUpgrading, upgrade.PoolWaiting} {
		for i := range s.Pools {
			if s.Pools[i].State == state {
				return &s.Pools[i]
			}
		}
	}
	return nil
}

// phaseOf names the phase of a stage: ackup's stage names, and for
// other servers the words ACK's stage names contain.
func phaseOf(stage string) string {
	switch stage {
	case upgrade.StagePrecheck:
		return "precheck"
	case upgrade.StageControlPlane:
		return "control-plane"
	case upgrade.StageNodePools:
		return "nodes"
	}
	l := strings.ToLower(stage)
	switch {
	case strings.Contains(l, "precheck"):
		return "precheck"
	case strings.Contains(l, "controlplane"), strings.Contains(l, "master"):
		return "control-plane"
	case strings.Contains(l, "node"):
		return "nodes"
	}
	return stage
}

// paramString returns the first of keys that the task's parameters hold as
// a non-empty string.
func paramString(params map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := params[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}
