package engine

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// Phases of an upgrade plan.
const (
	phasePrecheck     = "precheck"
	phaseControlPlane = "control_plane"
	phaseNodes        = "nodes"
)

// Node steps, in order (the domain's, so that DescribeTaskInfo's progress
// and the engine say the same thing).
const (
	nodeCordon   = upgrade.NodeCordon
	nodeDrain    = upgrade.NodeDrain
	nodeUpgrade  = upgrade.NodeUpgrade
	nodeReady    = upgrade.NodeReadying
	nodeUncordon = upgrade.NodeUncordon
	nodeDone     = upgrade.NodeDone
)

// plan is the engine's progress record of an upgrade, stored as the task's
// Plan. Everything a pass needs to continue after a crash is here.
type plan struct {
	Spec       upgrade.UpgradeSpec `json:"spec"`
	Phase      string              `json:"phase"`
	PhaseStart time.Time           `json:"phase_start"`
	Pools      []poolPlan          `json:"pools"`
	PoolIdx    int                 `json:"pool_idx"`
	// Batch holds the names of the nodes in flight.
	Batch       []string                 `json:"batch"`
	Batches     int                      `json:"batches"`
	NextBatchAt time.Time                `json:"next_batch_at"`
	Nodes       map[string]*nodeProgress `json:"nodes"`
	Skipped     int                      `json:"skipped"`
	// Progress (total and upgraded nodes) is what the status view reads.
	upgrade.Progress
	// Attempt counts the retries of a failed upgrade (0: the first
	// attempt); the executor is told it with every step.
	Attempt int `json:"attempt,omitempty"`
	// Failed is set when the attempt failed in Phase; a retry finds it set
	// and re-enters that phase.
	Failed bool `json:"failed,omitempty"`
	// Rollout is what DescribeTaskInfo shows of the plan (ackup_progress),
	// refreshed at the end of every pass (upgrade.RolloutProgressOf reads it).
	Rollout *upgrade.RolloutProgress `json:"progress,omitempty"`
}

type poolPlan struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Nodes   []string `json:"nodes"`
	Started bool     `json:"started"`
	// StartedAt and LastDone are when the pool's rollout started and when
	// its latest node finished.
	StartedAt time.Time `json:"started_at,omitzero"`
	LastDone  time.Time `json:"last_done,omitzero"`
}

type nodeProgress struct {
	Step    upgrade.NodeStep `json:"step"`
	Start   time.Time        `json:"start"`
	Blocker string           `json:"blocker,omitempty"`
	// BlockedPod and BlockingPDB are the executor's names for what blocks
	// the node's drain, when it knows them.
	BlockedPod  string `json:"blocked_pod,omitempty"`
	BlockingPDB string `json:"blocking_pdb,omitempty"`
	Skipped     bool   `json:"skipped,omitempty"`
	// Order is the node's position among the nodes started (1-based).
	Order int `json:"order,omitempty"`
}

// newPlan lays out an upgrade from its spec and the cluster's nodes: the
// pools in creation order, and in each the nodes not yet at the target.
func newPlan(spec upgrade.UpgradeSpec, start time.Time, pools []upgrade.NodePool, nodes []upgrade.Node) *plan {
	p := &plan{Spec: spec, Phase: phasePrecheck, PhaseStart: start, Nodes: map[string]*nodeProgress{}}
	if spec.MasterOnly {
		return p
	}
	for _, np := range pools {
		if spec.NodePoolID != "" && np.ID != spec.NodePoolID {
			continue
		}
		pp := poolPlan{ID: np.ID, Name: np.Name}
		for _, n := range nodes {
			if n.NodePoolID != np.ID || n.Version == spec.TargetVersion {
				continue
			}
			if len(spec.NodeNames) > 0 && !slices.Contains(spec.NodeNames, n.Name) {
				continue
			}
			pp.Nodes = append(pp.Nodes, n.Name)
			p.Nodes[n.Name] = &nodeProgress{}
		}
		if len(pp.Nodes) > 0 {
			p.Pools = append(p.Pools, pp)
			p.Total += len(pp.Nodes)
		}
	}
	return p
}

func loadPlan(raw json.RawMessage) (*plan, bool, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return nil, false, nil
	}
	var p plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, false, err
	}
	if p.Nodes == nil {
		p.Nodes = map[string]*nodeProgress{}
	}
	return &p, true, nil
}

func (p *plan) encode() json.RawMessage {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // plan holds only encodable values
	}
	return b
}

// pending returns up to n nodes of pool that have not started.
func (p *plan) pending(pool poolPlan, n int) []string {
	var out []string
	for _, name := range pool.Nodes {
		if len(out) == n {
			break
		}
		if p.Nodes[name].Step == upgrade.NodePending {
			out = append(out, name)
		}
	}
	return out
}

// poolDone reports whether every node of pool is done.
func (p *plan) poolDone(pool poolPlan) bool {
	for _, name := range pool.Nodes {
		if p.Nodes[name].Step != nodeDone {
			return false
		}
	}
	return true
}

// progress renders the plan as the domain's RolloutProgress of a task in stage.
func (p *plan) progress(stage string) *upgrade.RolloutProgress {
	pr := &upgrade.RolloutProgress{Stage: stage, NodesTotal: p.Total, NodesDone: p.Upgraded, NodesSkipped: p.Skipped,
		Pools: make([]upgrade.PoolProgress, 0, len(p.Pools)), Nodes: []upgrade.NodeProgress{}, InFlight: []upgrade.NodeProgress{}}
	if p.Phase == phaseNodes && p.PoolIdx < len(p.Pools) {
		pr.NodePool = p.Pools[p.PoolIdx].ID
	}
	var started []string
	for i, pool := range p.Pools {
		pp := upgrade.PoolProgress{ID: pool.ID, Name: pool.Name, NodesTotal: len(pool.Nodes), State: upgrade.PoolWaiting,
			Started: pool.StartedAt, LastDone: pool.LastDone}
		for _, name := range pool.Nodes {
			n := p.Nodes[name]
			if n.Step == nodeDone && !n.Skipped {
				pp.NodesDone++
			}
			if n.Step != upgrade.NodePending {
				started = append(started, name)
			}
		}
		switch {
		case p.poolDone(pool) || i < p.PoolIdx:
			pp.State = upgrade.PoolDone
		case pool.Started:
			pp.State = upgrade.PoolUpgrading
		}
		pr.Pools = append(pr.Pools, pp)
	}
	slices.SortStableFunc(started, func(a, b string) int { return p.Nodes[a].Order - p.Nodes[b].Order })
	for _, name := range started {
		n := p.Nodes[name]
		step := n.Step
		if n.Skipped {
			step = upgrade.NodeSkipped
		}
		pr.Nodes = append(pr.Nodes, upgrade.NodeProgress{Node: name, Step: step})
	}
	for _, name := range p.Batch {
		n := p.Nodes[name]
		pr.InFlight = append(pr.InFlight, upgrade.NodeProgress{Node: name, Step: n.Step})
		if n.Blocker != "" && pr.Blocker == nil {
			pr.Blocker = &upgrade.Blocker{Node: name, Pod: n.BlockedPod, PDB: n.BlockingPDB, Message: n.Blocker}
		}
	}
	return pr
}

// started counts the nodes that have started.
func (p *plan) started() int {
	n := 0
	for _, np := range p.Nodes {
		if np.Step != upgrade.NodePending {
			n++
		}
	}
	return n
}

// poolOf returns the pool of the named node.
func (p *plan) poolOf(name string) *poolPlan {
	for i := range p.Pools {
		if slices.Contains(p.Pools[i].Nodes, name) {
			return &p.Pools[i]
		}
	}
	return nil
}
