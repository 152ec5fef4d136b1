package api

import (
	"strings"
	"time"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// Wire types are ACK's JSON bodies, spelled and ordered as the SDK's
// response models declare them (CS v7.6.0 *_response_body_model.go), and
// kept apart from the domain types so the wire can stay frozen while the
// domain evolves. Only fields ackup can fill truthfully are emitted.

// Time layouts of ACK's bodies.
const (
	// timeLayout is RFC 3339 with a numeric offset, never "Z": created and
	// updated fields read "2020-11-10T16:02:04+08:00" (UTC is "+00:00").
	timeLayout = "2006-01-02T15:04:05-07:00"
	// stageLayout is the stage times of DescribeTaskInfo, without "T" or zone.
	stageLayout = "2006-01-02 15:04:05"
)

// wireTime renders t in its own zone; the zero time is "".
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(timeLayout)
}

func stageTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(stageLayout)
}

// checkTime renders check times as RFC 3339 with nanoseconds
// ("2023-10-16T08:31:20.292030178Z").
func checkTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// orEmpty makes a nil list render as [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// createdBody answers CreateCluster, DeleteCluster and UpgradeCluster.
type createdBody struct {
	ClusterID string `json:"cluster_id"`
	RequestID string `json:"request_id"`
	TaskID    string `json:"task_id"`
}

type tagBody struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// clusterBody is DescribeClusterDetail's body and an item of
// DescribeClustersV1's clusters.
type clusterBody struct {
	ClusterID          string    `json:"cluster_id"`
	ClusterSpec        string    `json:"cluster_spec"`
	ClusterType        string    `json:"cluster_type"`
	ContainerCIDR      string    `json:"container_cidr"`
	Created            string    `json:"created"`
	CurrentVersion     string    `json:"current_version"`
	DeletionProtection bool      `json:"deletion_protection"`
	InitVersion        string    `json:"init_version"`
	MasterURL          string    `json:"master_url"` // a JSON document in a string
	MetaData           string    `json:"meta_data"`  // a JSON document in a string
	Name               string    `json:"name"`
	NextVersion        string    `json:"next_version"`
	Profile            string    `json:"profile"`
	RegionID           string    `json:"region_id"`
	ServiceCIDR        string    `json:"service_cidr"`
	Size               int64     `json:"size"`
	State              string    `json:"state"`
	Tags               []tagBody `json:"tags"`
	Updated            string    `json:"updated"`
	VpcID              string    `json:"vpc_id"`
	VSwitchIDs         []string  `json:"vswitch_ids"`
}

func clusterBodyOf(v service.ClusterView) clusterBody {
	tags := make([]tagBody, 0, len(v.Tags))
	for _, t := range v.Tags {
		tags = append(tags, tagBody(t))
	}
	return clusterBody{
		ClusterID: v.ID, ClusterSpec: v.ClusterSpec, ClusterType: v.ClusterType, ContainerCIDR: v.ContainerCIDR,
		Created: wireTime(v.Created), CurrentVersion: v.CurrentVersion, DeletionProtection: v.DeletionProtect,
		InitVersion: v.InitVersion,
		// Clients unmarshal these strings as JSON, so they are never "".
		MasterURL: "{}", MetaData: "{}",
		Name: v.Name, NextVersion: v.NextVersion, Profile: v.Profile, RegionID: v.RegionID,
		ServiceCIDR: v.ServiceCIDR, Size: int64(v.Size), State: string(v.State), Tags: tags,
		Updated: wireTime(v.Updated), VpcID: v.VpcID, VSwitchIDs: orEmpty(v.VSwitchIDs),
	}
}

type pageInfo struct {
	PageNumber int64 `json:"page_number"`
	PageSize   int64 `json:"page_size"`
	TotalCount int64 `json:"total_count"`
}

type clustersBody struct {
	Clusters []clusterBody `json:"clusters"`
	PageInfo pageInfo      `json:"page_info"`
}

type nodePoolsBody struct {
	Nodepools []nodePoolBody `json:"nodepools"`
}

type nodePoolBody struct {
	KubernetesConfig kubernetesConfig `json:"kubernetes_config"`
	NodepoolInfo     nodepoolInfo     `json:"nodepool_info"`
	ScalingGroup     scalingGroup     `json:"scaling_group"`
	Status           nodePoolStatus   `json:"status"`
}

type kubernetesConfig struct {
	Runtime        string `json:"runtime"`
	RuntimeVersion string `json:"runtime_version"`
}

type nodepoolInfo struct {
	Created    string `json:"created"`
	IsDefault  bool   `json:"is_default"`
	Name       string `json:"name"`
	NodepoolID string `json:"nodepool_id"`
	Type       string `json:"type"`
	Updated    string `json:"updated"`
}

type scalingGroup struct {
	DesiredSize   int64    `json:"desired_size"`
	InstanceTypes []string `json:"instance_types"`
	VSwitchIDs    []string `json:"vswitch_ids"`
}

type nodePoolStatus struct {
	FailedNodes   int64  `json:"failed_nodes"`
	HealthyNodes  int64  `json:"healthy_nodes"`
	InitialNodes  int64  `json:"initial_nodes"`
	OfflineNodes  int64  `json:"offline_nodes"`
	RemovingNodes int64  `json:"removing_nodes"`
	ServingNodes  int64  `json:"serving_nodes"`
	State         string `json:"state"`
	TotalNodes    int64  `json:"total_nodes"`
}

func nodePoolBodyOf(v service.NodePoolView) nodePoolBody {
	runtimeVersion := ""
	if ver, ok := upgrade.LookupVersion(v.Version); ok {
		runtimeVersion = ver.Containerd
	}
	return nodePoolBody{
		KubernetesConfig: kubernetesConfig{Runtime: "containerd", RuntimeVersion: runtimeVersion},
		NodepoolInfo: nodepoolInfo{Created: wireTime(v.Created), IsDefault: v.IsDefault, Name: v.Name,
			// "ess" is ACK's type of an ordinary auto-scaling-group pool.
			NodepoolID: v.ID, Type: "ess", Updated: wireTime(v.Updated)},
		ScalingGroup: scalingGroup{DesiredSize: int64(v.DesiredSize), InstanceTypes: orEmpty(v.InstanceTypes),
			VSwitchIDs: orEmpty(v.VSwitchIDs)},
		Status: nodePoolStatus{FailedNodes: int64(v.FailedNodes), HealthyNodes: int64(v.HealthyNodes),
			InitialNodes: int64(v.InitialNodes), ServingNodes: int64(v.ServingNodes), State: v.State,
			TotalNodes: int64(v.TotalNodes)},
	}
}

type nodesBody struct {
	Nodes []nodeBody `json:"nodes"`
	Page  pageInfo   `json:"page"`
}

type nodeBody struct {
	CreationTime       string   `json:"creation_time"`
	ErrorMessage       string   `json:"error_message"`
	InstanceChargeType string   `json:"instance_charge_type"`
	InstanceID         string   `json:"instance_id"`
	InstanceName       string   `json:"instance_name"`
	InstanceRole       string   `json:"instance_role"`
	InstanceStatus     string   `json:"instance_status"`
	InstanceType       string   `json:"instance_type"`
	InstanceTypeFamily string   `json:"instance_type_family"`
	IPAddress          []string `json:"ip_address"`
	IsAliyunNode       bool     `json:"is_aliyun_node"`
	NodeName           string   `json:"node_name"`
	NodeStatus         string   `json:"node_status"`
	NodepoolID         string   `json:"nodepool_id"`
	SpotStrategy       string   `json:"spot_strategy"`
	State              string   `json:"state"`
	// ackup's extensions, absent from ACK's model (SDKs ignore them): what
	// a console needs to show a node's upgrade without parsing events.
	KubeletVersion string `json:"kubelet_version"`
	Unschedulable  bool   `json:"unschedulable"`
	Upgrading      bool   `json:"upgrading"`
}

// instanceStatus is the ECS status a node's state implies.
var instanceStatus = map[string]string{
	"running":  "Running",
	"initial":  "Pending",
	"removing": "Stopping",
	"failed":   "Stopped",
}

func nodeBodyOf(n upgrade.Node) nodeBody {
	status, ok := instanceStatus[n.State]
	if !ok {
		status = "Running"
	}
	family := n.InstanceType
	if i := strings.LastIndexByte(family, '.'); i > 0 {
		family = family[:i] // ecs.g7.xlarge -> ecs.g7
	}
	ips := []string{}
	if n.IP != "" {
		ips = append(ips, n.IP)
	}
	return nodeBody{
		CreationTime: wireTime(n.Created), InstanceChargeType: "PostPaid", InstanceID: n.InstanceID,
		InstanceName: n.Name, InstanceRole: "Worker", InstanceStatus: status, InstanceType: n.InstanceType,
		InstanceTypeFamily: family, IPAddress: ips, IsAliyunNode: true, NodeName: n.Name, NodeStatus: n.Status,
		NodepoolID: n.NodePoolID, SpotStrategy: "NoSpot", State: n.State,
		KubeletVersion: n.Version, Unschedulable: n.Unschedulable, Upgrading: n.Upgrading,
	}
}
