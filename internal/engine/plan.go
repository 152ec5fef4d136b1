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

// Node steps, in order.
const (
	nodeCordon   = "cordon"
	nodeDrain    = "drain"
	nodeUpgrade  = "upgrade"
	nodeReady    = "ready"
	nodeUncordon = "uncordon"
	nodeDone     = "done"
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
}

type poolPlan struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Nodes   []string `json:"nodes"`
	Started bool     `json:"started"`
}

type nodeProgress struct {
	Step    string    `json:"step"`
	Start   time.Time `json:"start"`
	Blocker string    `json:"blocker,omitempty"`
	Skipped bool      `json:"skipped,omitempty"`
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
		if p.Nodes[name].Step == "" {
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
