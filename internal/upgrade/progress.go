package upgrade

import (
	"encoding/json"
	"time"
)

// Event reasons: DescribeTaskInfo's events[].reason. Programs read the
// reason; the message is for people and may be reworded at any time.
const (
	ReasonUpgradeStart          = "UpgradeStart"
	ReasonPrecheckPassed        = "PrecheckPassed"
	ReasonPrecheckFailed        = "PrecheckFailed"
	ReasonControlPlaneStart     = "ControlPlaneUpgradeStart"
	ReasonControlPlaneDone      = "ControlPlaneUpgraded"
	ReasonControlPlaneFailed    = "ControlPlaneUpgradeFailed"
	ReasonNodePoolUpgradeStart  = "NodePoolUpgradeStart"
	ReasonNodePoolUpgraded      = "NodePoolUpgraded"
	ReasonBatchStart            = "BatchStart"
	ReasonBatchUpgraded         = "BatchUpgraded"
	ReasonNodeCordoned          = "NodeCordoned"
	ReasonNodeDrainStart        = "NodeDrainStart"
	ReasonNodeDrainBlocked      = "NodeDrainBlocked"
	ReasonNodeDrainTimeout      = "NodeDrainTimeout"
	ReasonNodeDrained           = "NodeDrained"
	ReasonNodeUpgradeStart      = "NodeUpgradeStart"
	ReasonNodeUpgraded          = "NodeUpgraded"
	ReasonNodeReady             = "NodeReady"
	ReasonNodeUncordoned        = "NodeUncordoned"
	ReasonNodeSkipped           = "NodeSkipped"
	ReasonNodeDrainFailed       = "NodeDrainFailed"
	ReasonNodeNotReady          = "NodeNotReady"
	ReasonNodeUpgradeFailed     = "NodeUpgradeFailed"
	ReasonNodeNotFound          = "NodeNotFound"
	ReasonTaskPaused            = "TaskPaused"
	ReasonTaskResumed           = "TaskResumed"
	ReasonTaskCancelRequested   = "TaskCancelRequested"
	ReasonTaskCanceled          = "TaskCanceled"
	ReasonTaskSucceeded         = "TaskSucceeded"
	ReasonTaskFailed            = "TaskFailed"
	ReasonClusterCreationStart  = "ClusterCreationStart"
	ReasonClusterCreated        = "ClusterCreated"
	ReasonClusterCreationFailed = "ClusterCreationFailed"
	ReasonClusterDeleted        = "ClusterDeleted"
	ReasonClusterRegistered     = "ClusterRegistered"
)

// NodeStep is where one node is in its upgrade: cordon, drain, upgrade,
// wait until Ready, uncordon, in that order, then done (or skipped when
// its drain timed out under the skip policy).
type NodeStep string

// Node steps, in order. NodePending is a node that has not started.
const (
	NodePending  NodeStep = ""
	NodeCordon   NodeStep = "cordon"
	NodeDrain    NodeStep = "drain"
	NodeUpgrade  NodeStep = "upgrade"
	NodeReadying NodeStep = "ready"
	NodeUncordon NodeStep = "uncordon"
	NodeDone     NodeStep = "done"
	NodeSkipped  NodeStep = "skipped"
)

// InFlight reports whether a node in step s is being upgraded now.
func (s NodeStep) InFlight() bool {
	return s != NodePending && s != NodeDone && s != NodeSkipped
}

// Pool states of a rollout.
const (
	PoolWaiting   = "waiting"
	PoolUpgrading = "upgrading"
	PoolDone      = "done"
)

// RolloutProgress is where an upgrade stands, as the engine last recorded it:
// DescribeTaskInfo renders it as the ackup extension ackup_progress, so
// that clients read counts, steps and blockers as fields rather than from
// the messages.
type RolloutProgress struct {
	Stage        string         `json:"stage"`
	NodePool     string         `json:"node_pool,omitempty"` // id of the pool being upgraded
	NodesTotal   int            `json:"nodes_total"`
	NodesDone    int            `json:"nodes_done"` // upgraded, not counting skipped
	NodesSkipped int            `json:"nodes_skipped"`
	Pools        []PoolProgress `json:"pools"`
	// Nodes are the nodes that have started, in the order they started,
	// with their step; InFlight are those of them not yet finished.
	Nodes    []NodeProgress `json:"nodes"`
	InFlight []NodeProgress `json:"in_flight"`
	Blocker  *Blocker       `json:"blocker,omitempty"`
}

// PoolProgress is one node pool of an upgrade.
type PoolProgress struct {
	ID         string    `json:"nodepool_id"`
	Name       string    `json:"name"`
	NodesTotal int       `json:"nodes_total"`
	NodesDone  int       `json:"nodes_done"`
	State      string    `json:"state"` // PoolWaiting, PoolUpgrading, PoolDone
	Started    time.Time `json:"started"`
	// LastDone is when the pool's latest node finished.
	LastDone time.Time `json:"last_done"`
}

// NodeProgress is a node and its step.
type NodeProgress struct {
	Node string   `json:"node"`
	Step NodeStep `json:"step"`
}

// Blocker is what holds a node's step up, for example the pod and the
// PodDisruptionBudget that block its drain. Pod and PDB are
// "namespace/name" when known.
type Blocker struct {
	Node    string `json:"node"`
	Pod     string `json:"pod,omitempty"`
	PDB     string `json:"pdb,omitempty"`
	Message string `json:"message"`
}

// RolloutProgressOf returns the progress recorded in an upgrade task's plan (the
// plan's "progress" member), or nil when the engine has recorded none yet.
func RolloutProgressOf(t *Task) *RolloutProgress {
	if len(t.Plan) == 0 {
		return nil
	}
	var p struct {
		Progress *RolloutProgress `json:"progress"`
	}
	if err := json.Unmarshal(t.Plan, &p); err != nil {
		return nil
	}
	return p.Progress
}
