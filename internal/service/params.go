package service

import (
	"github.com/ackup/ackup/internal/upgrade"
)

// CreateClusterParams are CreateCluster's inputs, already decoded from the
// wire. Pools with DesiredSize 0 are kept (a pool may be empty).
type CreateClusterParams struct {
	Name              string
	RegionID          string
	ClusterType       string
	ClusterSpec       string
	Profile           string
	KubernetesVersion string // "" means the newest creatable
	VpcID             string
	VSwitchIDs        []string
	ContainerCIDR     string
	ServiceCIDR       string
	Tags              []upgrade.Tag
	DeletionProtect   bool
	NodePools         []NodePoolSpec
	// NumOfNodes is the deprecated top-level worker count: when set and no
	// pool is given, a default pool of that size is created.
	NumOfNodes          int
	WorkerInstanceTypes []string
}

// NodePoolSpec describes a node pool to create.
type NodePoolSpec struct {
	Name          string
	DesiredSize   int
	InstanceTypes []string
	VSwitchIDs    []string
}

// Created is what CreateCluster and DeleteCluster answer.
type Created struct {
	ClusterID string
	TaskID    string
}

// ClusterView is a cluster with what DescribeClusterDetail derives from its
// nodes.
type ClusterView struct {
	upgrade.Cluster
	Size int // number of worker nodes
	// NextVersion is the upgrade target in flight, or else the newest
	// version the cluster may be upgraded to ("" if none).
	NextVersion string
}

// NodePoolView is a node pool with its node counts.
type NodePoolView struct {
	upgrade.NodePool
	TotalNodes   int
	HealthyNodes int
	ServingNodes int
	FailedNodes  int
	InitialNodes int
	Version      string // oldest kubelet version among its nodes
}

// UpgradeParams are UpgradeCluster's inputs; upgrade.ValidateClusterUpgrade
// holds their rules.
type UpgradeParams = upgrade.ClusterUpgradeRequest

// NodePoolUpgradeParams are UpgradeClusterNodepool's inputs;
// upgrade.ValidateNodePoolUpgrade holds their rules.
type NodePoolUpgradeParams = upgrade.NodePoolUpgradeRequest

// TaskView is a task with its events, for DescribeTaskInfo.
type TaskView struct {
	upgrade.Task
	Events []upgrade.TaskEvent
}

// CheckParams are RunClusterCheck's inputs.
type CheckParams struct {
	Type    string
	Target  string
	Options map[string]string
}
