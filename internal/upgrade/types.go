package upgrade

import (
	"encoding/json"
	"time"
)

// ClusterState is a cluster's lifecycle state as DescribeClusterDetail
// reports it.
type ClusterState string

// Cluster states ackup uses (a subset of ACK's enum).
const (
	ClusterInitial  ClusterState = "initial"
	ClusterRunning  ClusterState = "running"
	ClusterUpdating ClusterState = "updating"
	ClusterFailed   ClusterState = "failed"
	ClusterDeleting ClusterState = "deleting"
	ClusterDeleted  ClusterState = "deleted"
)

// Cluster types accepted by CreateCluster.
const (
	TypeKubernetes         = "Kubernetes"
	TypeManagedKubernetes  = "ManagedKubernetes"
	TypeExternalKubernetes = "ExternalKubernetes"
)

// Executor names: which implementation carries out a cluster's upgrades.
const (
	ExecutorSim  = "sim"
	ExecutorKube = "kube"
)

// Tag is a cluster tag. Tags whose key starts with "ackup.sim/" configure the
// simulator's injected faults.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// AccessKey is an API credential of an account. The secret is kept
// encrypted; SecretEnc is the ciphertext produced by the server's key.
type AccessKey struct {
	ID        string
	AccountID string
	SecretEnc []byte
	Active    bool
	Created   time.Time
}

// Cluster is an ACK cluster as ackup records it. CurrentVersion is the
// control plane's version; TargetVersion is the version an upgrade in flight
// is heading for ("" when none).
type Cluster struct {
	ID             string
	AccountID      string
	Name           string
	RegionID       string
	ClusterType    string
	ClusterSpec    string
	Profile        string
	CurrentVersion string
	InitVersion    string
	TargetVersion  string
	State          ClusterState
	VpcID          string
	VSwitchIDs     []string
	ContainerCIDR  string
	ServiceCIDR    string
	Tags           []Tag
	Executor       string
	// ExecutorConfig is executor-specific configuration (for the Kubernetes
	// executor: encrypted kubeconfig and upgrade actions). Never rendered.
	ExecutorConfig  []byte
	DeletionProtect bool
	Created         time.Time
	Updated         time.Time
}

// Tag returns the value of the tag with key k and whether it is set.
func (c *Cluster) Tag(k string) (string, bool) {
	for _, t := range c.Tags {
		if t.Key == k {
			return t.Value, true
		}
	}
	return "", false
}

// NodePool states (DescribeClusterNodePools status.state).
const (
	NodePoolActive   = "active"
	NodePoolUpdating = "updating"
	NodePoolInitial  = "initial"
)

// NodePool is a group of worker nodes upgraded together.
type NodePool struct {
	ID            string
	ClusterID     string
	Name          string
	IsDefault     bool
	DesiredSize   int
	InstanceTypes []string
	VSwitchIDs    []string
	State         string
	Created       time.Time
	Updated       time.Time
}

// Node statuses (DescribeClusterNodes node_status).
const (
	NodeReady    = "Ready"
	NodeNotReady = "NotReady"
)

// Node is a worker node. Version is its kubelet version.
type Node struct {
	ClusterID     string
	NodePoolID    string
	InstanceID    string
	Name          string
	IP            string
	InstanceType  string
	Version       string
	Status        string // Ready or NotReady
	Unschedulable bool   // cordoned
	Upgrading     bool
	State         string // running, initial, ...
	Created       time.Time
	Updated       time.Time
}

// TaskType names the kind of work a task does.
type TaskType string

// Task types.
const (
	TaskClusterUpgrade  TaskType = "cluster_upgrade"
	TaskNodePoolUpgrade TaskType = "nodepool_upgrade"
	TaskClusterCreate   TaskType = "cluster_create"
	TaskClusterDelete   TaskType = "cluster_delete"
)

// TaskState is a task's state as DescribeTaskInfo reports it.
type TaskState string

// Task states.
const (
	TaskRunning  TaskState = "running"
	TaskPaused   TaskState = "paused"
	TaskSuccess  TaskState = "success"
	TaskFailed   TaskState = "failed"
	TaskCanceled TaskState = "canceled"
)

// Terminal reports whether s is a final state.
func (s TaskState) Terminal() bool {
	return s == TaskSuccess || s == TaskFailed || s == TaskCanceled
}

// Active reports whether a task in state s still holds its cluster.
func (s TaskState) Active() bool { return s == TaskRunning || s == TaskPaused }

// Steps of an upgrade as GetUpgradeStatus's upgrade_step names them while the
// task runs.
const (
	StepPrechecking = "prechecking"
	StepUpgrading   = "upgrading"
)

// Desired actions requested of a running task, taken at the next safe point.
const (
	DesireNone   = ""
	DesireCancel = "cancel"
)

// Stage names of the other tasks (an upgrade's are in views.go).
const (
	StageCreateCluster   = "CreateCluster"
	StageDeleteCluster   = "DeleteCluster"
	StageRegisterCluster = "RegisterCluster"
)

// Stage states.
const (
	StageRunning  = "running"
	StageSuccess  = "success"
	StageFailed   = "failed"
	StageCanceled = "canceled"
)

// Stage is one entry of DescribeTaskInfo's stages.
type Stage struct {
	Name    string            `json:"name"`
	State   string            `json:"state"` // StageRunning, StageSuccess, StageFailed, StageCanceled
	Start   time.Time         `json:"start"`
	End     time.Time         `json:"end,omitempty"`
	Message string            `json:"message,omitempty"`
	Outputs map[string]string `json:"outputs,omitempty"`
}

// Task is a unit of asynchronous work on a cluster. An upgrade is one task
// record; both of ACK's views render from it.
type Task struct {
	ID         string
	ClusterID  string
	AccountID  string
	Type       TaskType
	State      TaskState
	Step       string // StepPrechecking or StepUpgrading (the step reached)
	Stage      string // current_stage, e.g. "UpgradeNodes"
	TargetID   string
	TargetType string
	// Params are the request's parameters, rendered as DescribeTaskInfo's
	// parameters.
	Params json.RawMessage
	// Plan is the engine's progress record (JSON). Its "progress" member
	// is a Progress (read with ProgressOf), which DescribeTaskInfo renders;
	// the rest is the engine's own.
	Plan         json.RawMessage
	Stages       []Stage
	ErrorCode    string
	ErrorMessage string
	// Message is a person-readable line on what the task is doing or what
	// blocks it (upgrade_task.message).
	Message    string
	PrecheckID string
	Desired    string
	Created    time.Time
	Updated    time.Time
	// NextRunAt says when the engine should look at the task again.
	NextRunAt time.Time
	// Lease fields: which engine instance drives the task, until when, and
	// the fencing token every write of that instance must carry.
	LeaseOwner string
	LeaseUntil time.Time
	Fence      int64
}

// Event levels.
const (
	LevelNormal  = "Normal"
	LevelWarning = "Warning"
)

// TaskEvent is an entry of DescribeTaskInfo's events. Reason is for programs
// (NodeDrainStart, NodeUpgraded, ...); Message is for people.
type TaskEvent struct {
	TaskID  string
	Seq     int64
	Time    time.Time
	Action  string
	Level   string
	Reason  string
	Message string
	Source  string
	// Owner and Fence record who wrote the event: the engine instance's
	// lease owner and the fencing token it held. Events written by a
	// request (not the engine) leave them empty and 0. Never rendered.
	Owner string
	Fence int64
}

// Check types accepted by RunClusterCheck.
const (
	CheckClusterUpgrade  = "ClusterUpgrade"
	CheckMasterUpgrade   = "MasterUpgrade"
	CheckNodePoolUpgrade = "NodePoolUpgrade"
)

// Check statuses.
const (
	CheckRunning   = "Running"
	CheckSucceeded = "Succeeded"
	CheckFailed    = "Failed"
)

// CheckItem is one verdict of a check report.
type CheckItem struct {
	Name        string   `json:"name"`
	Category    string   `json:"category"`
	Level       string   `json:"level"`  // CheckLevelError, CheckLevelWarning, CheckLevelInfo
	Status      string   `json:"status"` // ItemPassed, ItemFailed, ItemWarning
	Message     string   `json:"message"`
	Description string   `json:"description,omitempty"`
	Objects     []string `json:"objects,omitempty"`
}

// Check is a cluster check run (a precheck).
type Check struct {
	ID        string
	ClusterID string
	Type      string
	Target    string
	Options   map[string]string
	Status    string
	Message   string
	Items     []CheckItem
	Created   time.Time
	Finished  time.Time
}

// UpgradeSpec is what an upgrade task was asked to do; it is stored as the
// task's Params and rendered as DescribeTaskInfo's parameters.
type UpgradeSpec struct {
	TargetVersion string `json:"target_version"`
	// MasterOnly upgrades the control plane only.
	MasterOnly bool `json:"master_only"`
	// SkipControlPlane is set for node pool upgrades.
	SkipControlPlane bool `json:"skip_control_plane,omitempty"`
	// NodePoolID restricts the node rollout to one pool ("" = every pool).
	NodePoolID string `json:"nodepool_id,omitempty"`
	// NodeNames restricts the rollout to these nodes (empty = all).
	NodeNames      []string    `json:"node_names,omitempty"`
	MaxParallelism int         `json:"max_parallelism"`
	PausePolicy    PausePolicy `json:"pause_policy"`
	// BatchInterval is the wait between batches, in minutes.
	BatchInterval int `json:"batch_interval,omitempty"`
	// IgnoreWarningCheck lets failed precheck items of level warning pass.
	IgnoreWarningCheck bool `json:"ignore_warning_check,omitempty"`
}
