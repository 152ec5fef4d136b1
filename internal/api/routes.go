package api

import (
	"net/http"
	"slices"

	"github.com/ackup/ackup/internal/upgrade"
)

// Operation describes one ACK API operation: how it is routed, which
// parameters it takes, and what it answers. The table is data so that the
// router, the query validator and API explorers all read the same source.
type Operation struct {
	Name   string  `json:"name"`   // ACK's action name, e.g. "GetUpgradeStatus"
	Method string  `json:"method"` // HTTP method
	Path   string  `json:"path"`   // ServeMux pattern path, e.g. "/tasks/{task_id}"
	Params []Param `json:"params"`
	// RequestIDKey is the key under which the success body carries the
	// request id ("request_id", "requestId", "RequestId"), or "" when the
	// body has none (the x-acs-request-id header always has it).
	RequestIDKey  string `json:"requestIdKey"`
	SuccessStatus int    `json:"successStatus"`
	// BodyType is how the SDK reads the success body: "json" (an object),
	// "array" (a top-level JSON array) or "none" (ignored; ackup sends {}).
	BodyType   string `json:"bodyType"`
	Deprecated bool   `json:"deprecated,omitempty"`
	Doc        string `json:"doc"`
}

// Param is one request parameter. Body parameters are listed with dotted
// paths ("rolling_policy.pause_policy", "nodepools[].nodepool_info.name")
// for documentation; the handlers decode bodies. Path and query parameters
// are also validated generically from these fields.
type Param struct {
	Name     string   `json:"name"`
	In       string   `json:"in"`   // "path", "query" or "body"
	Type     string   `json:"type"` // "string", "integer", "boolean", "array" or "object"
	Required bool     `json:"required,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Min      *int64   `json:"min,omitempty"`
	Max      *int64   `json:"max,omitempty"`
	Default  string   `json:"default,omitempty"`
	Doc      string   `json:"doc"`
}

func pathP(name, doc string) Param {
	return Param{Name: name, In: "path", Type: "string", Required: true, Doc: doc}
}

func queryP(name, typ, doc string) Param { return Param{Name: name, In: "query", Type: typ, Doc: doc} }

func bodyP(name, typ, doc string) Param { return Param{Name: name, In: "body", Type: typ, Doc: doc} }

func required(p Param) Param { p.Required = true; return p }

func enum(p Param, values ...string) Param { p.Enum = slices.Clone(values); return p }

func between(p Param, lo, hi int64) Param { p.Min, p.Max = &lo, &hi; return p }

func withDefault(p Param, d string) Param { p.Default = d; return p }

// Enumerations shared by several operations.
var (
	clusterTypes = upgrade.ClusterTypes()
	checkTypes   = []string{upgrade.CheckClusterUpgrade, upgrade.CheckMasterUpgrade, upgrade.CheckNodePoolUpgrade}
	nodeStates   = []string{"all", "running", "removing", "initial", "failed"}
)

// Paging parameters of the snake_case list operations.
func pageParams() []Param {
	return []Param{
		withDefault(between(queryP("page_number", "integer", "Page number, from 1."), 1, 1<<31-1), "1"),
		withDefault(between(queryP("page_size", "integer", "Entries per page."), 1, 100), "10"),
	}
}

// Operations returns ACK's operations as ackup serves them. The result is a
// fresh copy on every call.
func Operations() []Operation {
	clusterID := pathP("ClusterId", "The cluster id.")
	clusterIDLower := pathP("cluster_id", "The cluster id.")
	taskID := pathP("task_id", "The task id.")
	ops := []Operation{
		{Name: "DescribeKubernetesVersionMetadata", Method: http.MethodGet, Path: "/api/v1/metadata/versions", BodyType: "array",
			Doc: "Lists the Kubernetes versions of the catalogue, optionally with the versions a given version may be upgraded to.",
			Params: []Param{
				required(queryP("Region", "string", "The region id.")),
				required(enum(queryP("ClusterType", "string", "The cluster type."), clusterTypes...)),
				queryP("KubernetesVersion", "string", "Describe only this version (Mode is then ignored)."),
				withDefault(enum(queryP("Profile", "string", "The cluster profile."), upgrade.VersionProfiles()...), upgrade.ProfileDefault),
				enum(queryP("runtime", "string", "Only versions offering this container runtime."), "docker", "containerd", "Sandboxed-Container.runv"),
				withDefault(enum(queryP("Mode", "string", "creatable: versions a new cluster may use; supported: every version."), "supported", "creatable"), "creatable"),
				queryP("QueryUpgradableVersion", "boolean", "With KubernetesVersion: fill upgradable_versions."),
			}},
		{Name: "CreateCluster", Method: http.MethodPost, Path: "/clusters", BodyType: "json", RequestIDKey: "request_id",
			Doc: "Creates a cluster; answers its id and the id of the cluster_create task.",
			Params: []Param{
				required(bodyP("name", "string", upgrade.ClusterNameRule+".")),
				required(bodyP("region_id", "string", "The region id.")),
				enum(bodyP("cluster_type", "string", "The cluster type."), clusterTypes...),
				enum(bodyP("cluster_spec", "string", "The managed cluster edition."), upgrade.ClusterSpecs()...),
				enum(bodyP("profile", "string", "The cluster profile."), upgrade.Profiles()...),
				bodyP("kubernetes_version", "string", "A creatable version; the newest when absent."),
				bodyP("vpcid", "string", "The VPC id."),
				bodyP("vswitch_ids", "array", "vSwitch ids (strings)."),
				bodyP("container_cidr", "string", "Pod CIDR block."),
				bodyP("service_cidr", "string", "Service CIDR block."),
				bodyP("deletion_protection", "boolean", "Refuse DeleteCluster while set."),
				bodyP("tags", "array", "Tags: objects {key, value}."),
				bodyP("nodepools", "array", "Node pools to create (objects)."),
				required(bodyP("nodepools[].nodepool_info.name", "string", "Node pool name.")),
				between(bodyP("nodepools[].scaling_group.desired_size", "integer", "Number of nodes."), 0, 1000),
				bodyP("nodepools[].scaling_group.instance_types", "array", "Instance types (strings)."),
				bodyP("nodepools[].scaling_group.vswitch_ids", "array", "vSwitch ids (strings); the cluster's when absent."),
				between(bodyP("num_of_nodes", "integer", "Deprecated: size of a default node pool."), 0, 100),
				bodyP("worker_instance_types", "array", "Deprecated: instance types of the default node pool."),
			}},
		{Name: "DescribeClusterDetail", Method: http.MethodGet, Path: "/clusters/{ClusterId}", BodyType: "json",
			Doc: "Describes a cluster.", Params: []Param{clusterID}},
		{Name: "DescribeClustersV1", Method: http.MethodGet, Path: "/api/v1/clusters", BodyType: "json", Deprecated: true,
			Doc: "Lists the account's clusters, one page at a time.",
			Params: append([]Param{
				queryP("cluster_id", "string", "Only this cluster."),
				queryP("name", "string", "Clusters whose name contains this."),
				queryP("cluster_type", "string", "Only clusters of this type."),
				queryP("cluster_spec", "string", "Only clusters of this edition."),
				queryP("profile", "string", "Only clusters of this profile."),
				queryP("region_id", "string", "Only clusters in this region."),
			}, pageParams()...)},
		{Name: "DeleteCluster", Method: http.MethodDelete, Path: "/clusters/{ClusterId}", BodyType: "json", RequestIDKey: "request_id",
			Doc: "Deletes a cluster; answers 202 with the id of the cluster_delete task.",
			Params: []Param{clusterID,
				queryP("retain_all_resources", "boolean", "Retain every cloud resource of the cluster."),
				queryP("keep_slb", "boolean", "Deprecated: retain the SLB instances."),
				queryP("retain_resources", "string", "JSON array of resource ids to retain."),
				queryP("delete_options", "string", "JSON array of {delete_mode: delete|retain, resource_type}."),
			}},
		{Name: "DescribeClusterNodePools", Method: http.MethodGet, Path: "/clusters/{ClusterId}/nodepools", BodyType: "json",
			Doc:    "Lists a cluster's node pools with their node counts.",
			Params: []Param{clusterID, queryP("NodepoolName", "string", "Only the pool of this name.")}},
		{Name: "DescribeClusterNodes", Method: http.MethodGet, Path: "/clusters/{ClusterId}/nodes", BodyType: "json",
			Doc: "Lists a cluster's nodes, one page at a time.",
			Params: []Param{clusterID,
				queryP("nodepool_id", "string", "Only nodes of this node pool."),
				withDefault(enum(queryP("state", "string", "Only nodes in this state."), nodeStates...), "all"),
				queryP("instanceIds", "string", "Comma-separated instance ids."),
				withDefault(between(queryP("pageNumber", "integer", "Page number, from 1."), 1, 1<<31-1), "1"),
				withDefault(between(queryP("pageSize", "integer", "Entries per page."), 1, 100), "10"),
			}},
		{Name: "GetUpgradeStatus", Method: http.MethodGet, Path: "/api/v2/clusters/{ClusterId}/upgrade/status", BodyType: "json", Deprecated: true,
			Doc: "The cluster's current or latest upgrade in the old, cluster-scoped view.", Params: []Param{clusterID}},
		{Name: "UpgradeCluster", Method: http.MethodPost, Path: "/api/v2/clusters/{ClusterId}/upgrade", BodyType: "json", RequestIDKey: "request_id",
			Doc: "Starts an upgrade of the control plane and, unless master_only, of every node pool.",
			Params: []Param{clusterID,
				bodyP("next_version", "string", "Target version: a newer patch or the next minor."),
				bodyP("version", "string", "Deprecated: target version, used when next_version is absent."),
				bodyP("master_only", "boolean", "Upgrade the control plane only."),
				enum(bodyP("component_name", "string", "Deprecated."), "k8s"),
				withDefault(between(bodyP("rolling_policy.max_parallelism", "integer", "Deprecated: nodes upgraded at once."), 1, upgrade.ClusterParallelismMax), "1"),
			}},
		{Name: "PauseClusterUpgrade", Method: http.MethodPost, Path: "/api/v2/clusters/{ClusterId}/upgrade/pause", BodyType: "none", Deprecated: true,
			Doc: "Pauses the cluster's upgrade (the old view of PauseTask).", Params: []Param{clusterID}},
		{Name: "ResumeUpgradeCluster", Method: http.MethodPost, Path: "/api/v2/clusters/{ClusterId}/upgrade/resume", BodyType: "none", Deprecated: true,
			Doc: "Resumes the cluster's paused upgrade (the old view of ResumeTask).", Params: []Param{clusterID}},
		{Name: "CancelClusterUpgrade", Method: http.MethodPost, Path: "/api/v2/clusters/{ClusterId}/upgrade/cancel", BodyType: "none", Deprecated: true,
			Doc: "Cancels the cluster's upgrade (the old view of CancelTask).", Params: []Param{clusterID}},
		{Name: "DescribeClusterTasks", Method: http.MethodGet, Path: "/clusters/{cluster_id}/tasks", BodyType: "json", RequestIDKey: "requestId",
			Doc: "Lists a cluster's tasks, newest first.", Params: append([]Param{clusterIDLower}, pageParams()...)},
		{Name: "DescribeTaskInfo", Method: http.MethodGet, Path: "/tasks/{task_id}", BodyType: "json", RequestIDKey: "requestId",
			Doc: "Describes a task with its stages and events.", Params: []Param{taskID}},
		{Name: "PauseTask", Method: http.MethodPost, Path: "/tasks/{task_id}/pause", BodyType: "none",
			Doc: "Pauses a running task.", Params: []Param{taskID}},
		{Name: "ResumeTask", Method: http.MethodPost, Path: "/tasks/{task_id}/resume", BodyType: "none",
			Doc: "Resumes a paused task.", Params: []Param{taskID}},
		{Name: "CancelTask", Method: http.MethodPost, Path: "/tasks/{task_id}/cancel", BodyType: "none",
			Doc: "Cancels a task at its next safe point.", Params: []Param{taskID}},
		{Name: "UpgradeClusterNodepool", Method: http.MethodPost, Path: "/clusters/{ClusterId}/nodepools/{NodepoolId}/upgrade", BodyType: "json", RequestIDKey: "RequestId",
			Doc: "Starts an upgrade of a node pool's nodes, never past the control plane's version.",
			Params: []Param{clusterID, pathP("NodepoolId", "The node pool id."),
				bodyP("kubernetes_version", "string", "Target version; the control plane's when absent."),
				bodyP("node_names", "array", "Only these nodes (strings)."),
				bodyP("image_id", "string", "OS image id."),
				bodyP("runtime_type", "string", "Container runtime."),
				bodyP("runtime_version", "string", "Container runtime version."),
				bodyP("use_replace", "boolean", "Upgrade by replacing the system disk."),
				between(bodyP("rolling_policy.batch_interval", "integer", "Minutes between batches (5 to 120, or 0 for no wait); only with pause_policy NotPause."), 0, upgrade.BatchIntervalMax),
				withDefault(between(bodyP("rolling_policy.max_parallelism", "integer", "Nodes per batch."), 1, upgrade.NodePoolParallelismMax), "10"),
				withDefault(enum(bodyP("rolling_policy.pause_policy", "string", "When to pause between batches."), upgrade.PausePolicies()...), string(upgrade.PauseNotPause)),
				bodyP("ignore_warning_check", "boolean", "Go on when precheck items of level warning fail (items of level error still stop the upgrade)."),
			}},
		{Name: "RunClusterCheck", Method: http.MethodPost, Path: "/clusters/{cluster_id}/checks", BodyType: "json", RequestIDKey: "request_id",
			Doc: "Runs a cluster check (a precheck) and answers its id.",
			Params: []Param{clusterIDLower,
				required(enum(bodyP("type", "string", "The check type (ClusterMigrate is not supported)."), checkTypes...)),
				bodyP("target", "string", "The node pool id; required when type is NodePoolUpgrade."),
				bodyP("options", "object", "String options, e.g. targetVersion."),
			}},
		{Name: "GetClusterCheck", Method: http.MethodGet, Path: "/clusters/{cluster_id}/checks/{check_id}", BodyType: "json",
			Doc:    "Describes a check with its items grouped by category.",
			Params: []Param{clusterIDLower, pathP("check_id", "The check id.")}},
		{Name: "ListClusterChecks", Method: http.MethodGet, Path: "/clusters/{cluster_id}/checks", BodyType: "json",
			Doc: "Lists a cluster's checks, newest first.",
			Params: []Param{clusterIDLower,
				queryP("type", "string", "Only checks of this type."),
				queryP("target", "string", "Only checks of this target."),
			}},
		registerClusterOp(),
	}
	ops = append(ops, readOps()...)
	for i := range ops {
		ops[i].SuccessStatus = http.StatusOK
		if ops[i].Name == "DeleteCluster" {
			ops[i].SuccessStatus = http.StatusAccepted
		}
	}
	return ops
}
