package api

import (
	"context"
	"net/http"

	"github.com/ackup/ackup/internal/service"
)

// readOps are the route table's entries for what the alicloud Terraform
// provider reads of a managed cluster after DescribeClusterDetail
// (docs/terraform.md). Paths and parameter names are the SDK's, including
// GetClusterAuditProject's lower-case {clusterid}.
func readOps() []Operation {
	clusterID := pathP("ClusterId", "The cluster id.")
	return []Operation{
		{Name: "DescribeClusterUserKubeconfig", Method: http.MethodGet, Path: "/k8s/{ClusterId}/user_config", BodyType: "json",
			Doc: "A kubeconfig for the cluster without credentials, pointing to a placeholder API server under the reserved .invalid domain " +
				"(https://<cluster-id>.sim.ackup.invalid:6443, or .registered. for registered clusters, whose stored kubeconfig is never returned).",
			Params: []Param{clusterID,
				queryP("PrivateIpAddress", "boolean", "Accepted; the placeholder server is the same."),
				between(queryP("TemporaryDurationMinutes", "integer", "Minutes until the kubeconfig expires; three years after creation when absent."),
					service.MinTemporaryKubeconfig, service.MaxTemporaryKubeconfig),
			}},
		{Name: "CheckControlPlaneLogEnable", Method: http.MethodGet, Path: "/clusters/{ClusterId}/controlplanelog", BodyType: "json",
			Doc: "The cluster's control-plane log collection: ackup collects none, so no components and no project.", Params: []Param{clusterID}},
		{Name: "GetClusterAuditProject", Method: http.MethodGet, Path: "/clusters/{clusterid}/audit", BodyType: "json",
			Doc: "The cluster's API-server audit logging: disabled, ackup ships no audit logs.", Params: []Param{pathP("clusterid", "The cluster id.")}},
		{Name: "DescribeClusterResources", Method: http.MethodGet, Path: "/clusters/{ClusterId}/resources", BodyType: "array",
			Doc:    "The resources ackup records for the cluster: one ECS instance per node (no load balancers, security groups or NAT gateways).",
			Params: []Param{clusterID, queryP("with_addon_resources", "boolean", "Accepted; ackup records no addon resources.")}},
	}
}

// kubeconfigBody is DescribeClusterUserKubeconfig's body.
type kubeconfigBody struct {
	Config     string `json:"config"`
	Expiration string `json:"expiration"`
}

func (s *server) describeClusterUserKubeconfig(ctx context.Context, c *call) (any, error) {
	k, err := s.backend.UserKubeconfig(ctx, c.account, c.path("ClusterId"), c.queryInt("TemporaryDurationMinutes", 0))
	if err != nil {
		return nil, err
	}
	// ACK writes this one time in UTC with "Z" ("2024-03-10T09:56:17Z").
	return &kubeconfigBody{Config: k.Config, Expiration: k.Expiration.UTC().Format("2006-01-02T15:04:05Z")}, nil
}

// controlPlaneLogBody is CheckControlPlaneLogEnable's body.
type controlPlaneLogBody struct {
	Aliuid     string   `json:"aliuid"`
	Components []string `json:"components"`
	LogProject string   `json:"log_project"`
	LogTTL     string   `json:"log_ttl"`
}

func (s *server) checkControlPlaneLogEnable(ctx context.Context, c *call) (any, error) {
	l, err := s.backend.ControlPlaneLog(ctx, c.account, c.path("ClusterId"))
	if err != nil {
		return nil, err
	}
	return &controlPlaneLogBody{Aliuid: c.account, Components: orEmpty(l.Components), LogProject: l.LogProject, LogTTL: l.LogTTL}, nil
}

// auditProjectBody is GetClusterAuditProject's body.
type auditProjectBody struct {
	AuditEnabled   bool   `json:"audit_enabled"`
	SlsProjectName string `json:"sls_project_name"`
}

func (s *server) getClusterAuditProject(ctx context.Context, c *call) (any, error) {
	a, err := s.backend.AuditProject(ctx, c.account, c.path("clusterid"))
	if err != nil {
		return nil, err
	}
	return &auditProjectBody{AuditEnabled: a.Enabled, SlsProjectName: a.SlsProjectName}, nil
}

// clusterResourceBody is an item of DescribeClusterResources' top-level
// array, fields in the SDK model's order.
type clusterResourceBody struct {
	ClusterID        string                 `json:"cluster_id"`
	Created          string                 `json:"created"`
	InstanceID       string                 `json:"instance_id"`
	ResourceInfo     string                 `json:"resource_info"`
	ResourceType     string                 `json:"resource_type"`
	State            string                 `json:"state"`
	AutoCreate       int64                  `json:"auto_create"`
	Dependencies     []resourceDependency   `json:"dependencies"`
	AssociatedObject resourceObject         `json:"associated_object"`
	DeleteBehavior   resourceDeleteBehavior `json:"delete_behavior"`
	CreatorType      string                 `json:"creator_type"`
}

type resourceDependency struct {
	ClusterID    string `json:"cluster_id"`
	ResourceType string `json:"resource_type"`
	InstanceID   string `json:"instance_id"`
}

type resourceObject struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

type resourceDeleteBehavior struct {
	DeleteByDefault bool `json:"delete_by_default"`
	Changeable      bool `json:"changeable"`
}

func (s *server) describeClusterResources(ctx context.Context, c *call) (any, error) {
	res, err := s.backend.ListClusterResources(ctx, c.account, c.path("ClusterId"))
	if err != nil {
		return nil, err
	}
	out := make([]clusterResourceBody, 0, len(res))
	for _, r := range res {
		out = append(out, clusterResourceBody{
			ClusterID: r.ClusterID, Created: wireTime(r.Created), InstanceID: r.InstanceID,
			// resource_info is a JSON document in a string, like master_url.
			ResourceInfo: "{}", ResourceType: r.ResourceType, State: r.State,
			// Node instances come with their node pool ("cluster" creator)
			// and are released with the cluster.
			AutoCreate: 1, Dependencies: []resourceDependency{},
			AssociatedObject: resourceObject{Kind: "Node", Name: r.NodeName},
			DeleteBehavior:   resourceDeleteBehavior{DeleteByDefault: true}, CreatorType: "cluster",
		})
	}
	return out, nil
}
