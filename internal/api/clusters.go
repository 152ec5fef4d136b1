package api

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

func (s *server) createCluster(ctx context.Context, c *call) (any, error) {
	p, err := decodeCreateCluster(c.body)
	if err != nil {
		return nil, err
	}
	res, err := s.backend.CreateCluster(ctx, c.account, p)
	if err != nil {
		return nil, err
	}
	return &createdBody{ClusterID: res.ClusterID, RequestID: c.requestID, TaskID: res.TaskID}, nil
}

// decodeCreateCluster reads CreateCluster's body. Fields ackup does not
// model (addons, disks, charge types, ...) are accepted and ignored, as a
// real cluster's would be configured but a simulated one has no use for.
func decodeCreateCluster(body []byte) (service.CreateClusterParams, error) {
	o, err := decodeObject(body)
	if err != nil {
		return service.CreateClusterParams{}, err
	}
	p := service.CreateClusterParams{
		Name: o.str("name"), RegionID: o.str("region_id"), ClusterType: o.str("cluster_type"),
		ClusterSpec: o.str("cluster_spec"), Profile: o.str("profile"), KubernetesVersion: o.str("kubernetes_version"),
		VpcID: o.str("vpcid"), VSwitchIDs: o.strs("vswitch_ids"), ContainerCIDR: o.str("container_cidr"),
		ServiceCIDR: o.str("service_cidr"), DeletionProtect: o.boolean("deletion_protection"),
		WorkerInstanceTypes: o.strs("worker_instance_types"),
	}
	if n, ok := o.integer("num_of_nodes", 0, 100); ok {
		p.NumOfNodes = int(n)
	}
	for _, t := range o.objects("tags") {
		p.Tags = append(p.Tags, upgrade.Tag{Key: t.str("key"), Value: t.str("value")})
		if o.Err() == nil && p.Tags[len(p.Tags)-1].Key == "" {
			return p, upgrade.Missingf("%skey is required", t.prefix)
		}
	}
	for _, np := range o.objects("nodepools") {
		info, sg := np.object("nodepool_info"), np.object("scaling_group")
		spec := service.NodePoolSpec{Name: info.str("name"), InstanceTypes: sg.strs("instance_types"), VSwitchIDs: sg.strs("vswitch_ids")}
		if n, ok := sg.integer("desired_size", 0, 1000); ok {
			spec.DesiredSize = int(n)
		} else if n, ok := np.integer("count", 0, 1000); ok { // deprecated form of desired_size
			spec.DesiredSize = int(n)
		}
		if len(spec.VSwitchIDs) == 0 {
			spec.VSwitchIDs = p.VSwitchIDs
		}
		if o.Err() == nil && spec.Name == "" {
			return p, upgrade.Missingf("%sname is required", info.prefix)
		}
		p.NodePools = append(p.NodePools, spec)
	}
	if err := o.Err(); err != nil {
		return p, err
	}
	return p, validateCreate(p)
}

// validateCreate checks what the SDK documents about CreateCluster's
// fields; the service checks the rest (versions, pool names, sizes).
func validateCreate(p service.CreateClusterParams) error {
	if err := upgrade.ValidateClusterName(p.Name); err != nil {
		return err
	}
	if p.RegionID == "" {
		return upgrade.Missingf("region_id is required")
	}
	if err := upgrade.ValidateClusterShape(upgrade.ClusterShape{ClusterType: p.ClusterType, ClusterSpec: p.ClusterSpec, Profile: p.Profile}); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"container_cidr", p.ContainerCIDR}, {"service_cidr", p.ServiceCIDR}} {
		if f.value == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(f.value); err != nil || !pfx.Addr().Is4() {
			return upgrade.Invalidf("%s %q is not an IPv4 CIDR block such as 172.20.0.0/16", f.name, f.value)
		}
	}
	return nil
}

func (s *server) describeClusterDetail(ctx context.Context, c *call) (any, error) {
	v, err := s.backend.DescribeCluster(ctx, c.account, c.path("ClusterId"))
	if err != nil {
		return nil, err
	}
	body := clusterBodyOf(v)
	return &body, nil
}

func (s *server) describeClustersV1(ctx context.Context, c *call) (any, error) {
	number, size := c.queryInt("page_number", 1), c.queryInt("page_size", 10)
	p := upgrade.ClusterListParams{
		ClusterID: c.query.Get("cluster_id"), Name: c.query.Get("name"), ClusterType: c.query.Get("cluster_type"),
		ClusterSpec: c.query.Get("cluster_spec"), Profile: c.query.Get("profile"), RegionID: c.query.Get("region_id"),
		Offset: (number - 1) * size, Limit: size,
	}
	views, total, err := s.backend.ListClusters(ctx, c.account, p)
	if err != nil {
		return nil, err
	}
	body := &clustersBody{Clusters: make([]clusterBody, 0, len(views)),
		PageInfo: pageInfo{PageNumber: int64(number), PageSize: int64(size), TotalCount: int64(total)}}
	for _, v := range views {
		body.Clusters = append(body.Clusters, clusterBodyOf(v))
	}
	return body, nil
}

// deleteOption is an item of DeleteCluster's delete_options query value.
type deleteOption struct {
	DeleteMode   string `json:"delete_mode"`
	ResourceType string `json:"resource_type"`
}

// deleteCluster validates the resource-retention options and otherwise
// ignores them: a simulated cluster owns no cloud resources to keep.
func (s *server) deleteCluster(ctx context.Context, c *call) (any, error) {
	// DeleteCluster takes its options in the query; a body, if any, must
	// at least be a JSON object, so that a garbled request deletes nothing.
	if _, err := decodeObject(c.body); err != nil {
		return nil, err
	}
	if v := c.query.Get("retain_resources"); v != "" {
		var ids []string
		if err := json.Unmarshal([]byte(v), &ids); err != nil {
			return nil, upgrade.Invalidf(`retain_resources must be a JSON array of resource ids such as ["sg-1"], got %q`, v)
		}
	}
	if v := c.query.Get("delete_options"); v != "" {
		var opts []deleteOption
		if err := json.Unmarshal([]byte(v), &opts); err != nil {
			return nil, upgrade.Invalidf(`delete_options must be a JSON array of {"delete_mode","resource_type"} objects, got %q`, v)
		}
		for i, o := range opts {
			if o.DeleteMode != "delete" && o.DeleteMode != "retain" {
				return nil, upgrade.Invalidf("delete_options[%d].delete_mode %q is not allowed; allowed values: delete, retain", i, o.DeleteMode)
			}
		}
	}
	res, err := s.backend.DeleteCluster(ctx, c.account, c.path("ClusterId"))
	if err != nil {
		return nil, err
	}
	return &createdBody{ClusterID: res.ClusterID, RequestID: c.requestID, TaskID: res.TaskID}, nil
}

func (s *server) describeClusterNodePools(ctx context.Context, c *call) (any, error) {
	views, err := s.backend.ListNodePools(ctx, c.account, c.path("ClusterId"), c.query.Get("NodepoolName"))
	if err != nil {
		return nil, err
	}
	body := &nodePoolsBody{Nodepools: make([]nodePoolBody, 0, len(views))}
	for _, v := range views {
		body.Nodepools = append(body.Nodepools, nodePoolBodyOf(v))
	}
	return body, nil
}

// describeClusterNodes pages a cluster's nodes. Note ACK's camelCase
// pageNumber, pageSize and instanceIds next to snake_case nodepool_id.
// The store has no state filter, so a state other than "all" is applied
// here over the full list, then paged.
func (s *server) describeClusterNodes(ctx context.Context, c *call) (any, error) {
	number, size := c.queryInt("pageNumber", 1), c.queryInt("pageSize", 10)
	p := upgrade.NodeListParams{ClusterID: c.path("ClusterId"), NodePoolID: c.query.Get("nodepool_id"),
		InstanceIDs: splitList(c.query.Get("instanceIds")), Offset: (number - 1) * size, Limit: size}
	state := c.query.Get("state")
	var (
		nodes []upgrade.Node
		total int
		err   error
	)
	if state == "" || state == "all" {
		nodes, total, err = s.backend.ListNodes(ctx, c.account, p)
	} else {
		nodes, total, err = s.nodesInState(ctx, c.account, p, state)
	}
	if err != nil {
		return nil, err
	}
	body := &nodesBody{Nodes: make([]nodeBody, 0, len(nodes)),
		Page: pageInfo{PageNumber: int64(number), PageSize: int64(size), TotalCount: int64(total)}}
	for _, n := range nodes {
		body.Nodes = append(body.Nodes, nodeBodyOf(n))
	}
	return body, nil
}

// nodesInState returns the page p asks for among the nodes in state.
func (s *server) nodesInState(ctx context.Context, account string, p upgrade.NodeListParams, state string) ([]upgrade.Node, int, error) {
	offset, limit := p.Offset, p.Limit
	p.Offset, p.Limit = 0, 0
	all, _, err := s.backend.ListNodes(ctx, account, p)
	if err != nil {
		return nil, 0, err
	}
	var match []upgrade.Node
	for _, n := range all {
		if n.State == state {
			match = append(match, n)
		}
	}
	if offset >= len(match) {
		return nil, len(match), nil
	}
	return match[offset:min(offset+limit, len(match))], len(match), nil
}

// splitList splits a comma-separated query value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
