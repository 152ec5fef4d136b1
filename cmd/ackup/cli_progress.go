package main

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
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
	switch s {
	case "success", "failed", "fail", "canceled":
		return true
	}
	return false
}

// done reports whether the task has ended.
func (s *snapshot) done() bool { return terminalState(s.State) }

// nodeStep maps a node event's reason to the step the node is in after it;
// "" means the node has left the rollout.
var nodeStep = map[string]string{
	"NodeCordoned": "drain", "NodeDrainStart": "drain", "NodeDrainBlocked": "drain",
	"NodeDrained": "upgrade", "NodeUpgradeStart": "upgrade", "NodeUpgraded": "ready", "NodeReady": "uncordon",
	"NodeUncordoned": "", "NodeSkipped": "", "NodeDrainFailed": "", "NodeNotReady": "", "NodeUpgradeFailed": "",
	"NodeDrainTimeout": "drain",
}

var upgradingNodes = regexp.MustCompile(`upgrading (\d+) nodes`)

// computeSnapshot derives a snapshot from the task, the cluster's pools and
// nodes, and the cluster's GetUpgradeStatus view (nil when it does not
// describe this task).
func computeSnapshot(task *cs.DescribeTaskInfoResponseBody, status *cs.GetUpgradeStatusResponseBody, pools []poolRef, nodes []nodeRef) snapshot {
	s := snapshot{ClusterID: str(task.ClusterId), TaskID: str(task.TaskId), TaskType: str(task.TaskType),
		State: str(task.State), Stage: str(task.CurrentStage), Target: paramString(task.Parameters, "target_version", "next_version", "kubernetes_version")}
	s.Started, _ = parseAPITime(str(task.Created))
	s.Phase = phaseOf(s.Stage)
	s.Pools = scopePools(task, pools, nodes)
	if s.Pools == nil {
		s.Pools = []poolProgress{} // "pools": [] rather than null in JSON
	}
	byID := map[string]*poolProgress{}
	for i := range s.Pools {
		byID[s.Pools[i].ID] = &s.Pools[i]
	}
	poolOf := map[string]string{}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		poolOf[n.name] = n.poolID
		names = append(names, n.name)
	}
	// Longest names first, so that "node-10" is not taken for "node-1".
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	step := map[string]string{}
	blocked := map[string]string{}
	upgraded := map[string]bool{}
	var order []string
	for _, e := range task.Events {
		reason, msg := str(e.Reason), str(e.Message)
		at, _ := parseAPITime(str(e.Timestamp))
		if reason == "NodePoolUpgradeStart" || reason == "NodePoolUpgraded" {
			if p := matchPool(s.Pools, msg); p != nil {
				p.start = cmp.Or(p.start, at)
				if reason == "NodePoolUpgraded" {
					p.State = "done"
				} else if m := upgradingNodes.FindStringSubmatch(msg); m != nil {
					if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
						p.Total = n
					}
				}
			}
			continue
		}
		next, ok := nodeStep[reason]
		if !ok {
			continue
		}
		node := matchNode(names, msg)
		if node == "" {
			continue
		}
		p := byID[poolOf[node]]
		if p != nil {
			p.start = cmp.Or(p.start, at)
		}
		if _, seen := step[node]; !seen {
			order = append(order, node)
		}
		step[node] = next
		delete(blocked, node)
		if reason == "NodeDrainBlocked" {
			blocked[node] = msg
		}
		if reason == "NodeUpgraded" && !upgraded[node] && p != nil {
			upgraded[node] = true
			p.Upgraded++
			p.last = at
		}
	}
	for _, name := range order {
		if st := step[name]; st != "" && !s.done() {
			s.InFlight = append(s.InFlight, nodeInFlight{Name: name, Step: st})
			if b := blocked[name]; b != "" && s.Blocker == "" {
				s.Blocker = b
			}
		}
	}
	finishPools(s.Pools)
	s.describe(task, status)
	return s
}

// describe fills the person-readable message, blocker and error.
func (s *snapshot) describe(task *cs.DescribeTaskInfoResponseBody, status *cs.GetUpgradeStatusResponseBody) {
	if status != nil && status.UpgradeTask != nil {
		s.Message = str(status.UpgradeTask.Message)
		if i := strings.LastIndex(s.Message, "blocked: "); i >= 0 && !s.done() {
			s.Blocker = s.Message[i+len("blocked: "):]
		}
	}
	if task.Error != nil {
		s.Error = str(task.Error.Message)
	}
	if s.Error == "" && status != nil && s.done() {
		s.Error = str(status.ErrorMessage)
	}
	if s.Error == "" && s.State != "success" && s.done() {
		for _, e := range slices.Backward(task.Events) {
			if str(e.Level) == "Warning" {
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
		pp := poolProgress{ID: p.id, Name: p.name, State: "waiting"}
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
			p.State = "done"
		}
		if p.State != "done" && !p.start.IsZero() {
			p.State = "upgrading"
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
	if p.PerNode <= 0 || p.State == "done" {
		return 0, p.State == "done"
	}
	left := p.PerNode * time.Duration(p.Total-p.Upgraded)
	if !now.IsZero() && !p.last.IsZero() {
		left -= now.Sub(p.last)
	}
	return max(left, 0), true
}

// current returns the pool being upgraded (else the first still waiting).
func (s *snapshot) current() *poolProgress {
	for _, state := range []string{"upgrading", "waiting"} {
		for i := range s.Pools {
			if s.Pools[i].State == state {
				return &s.Pools[i]
			}
		}
	}
	return nil
}

// phaseOf names the phase of a stage; ACK's stage names vary, so it goes by
// the words they contain.
func phaseOf(stage string) string {
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

// matchNode returns the node whose name the message mentions ("" if none);
// names must be sorted longest first.
func matchNode(names []string, msg string) string {
	for _, n := range names {
		if strings.Contains(msg, n) {
			return n
		}
	}
	return ""
}

// matchPool returns the pool the message mentions, by id or else by name.
func matchPool(pools []poolProgress, msg string) *poolProgress {
	var best *poolProgress
	for i := range pools {
		p := &pools[i]
		if strings.Contains(msg, p.ID) {
			return p
		}
		if strings.Contains(msg, p.Name) && (best == nil || len(p.Name) > len(best.Name)) {
			best = p
		}
	}
	return best
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
