package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// Limits on cluster size, so a single request cannot create an unbounded
// simulated fleet.
const (
	maxPools        = 20
	maxNodesPerPool = 1000
)

// Limits on the lists a cluster carries, so a request cannot store
// thousands of entries. Tags follow ACK's TagResources (at most 20, keys
// and values up to 128 characters); the rest are ackup's own bounds,
// above what an ACK cluster uses: 5 cluster vSwitches (ACK takes up to 3
// for the control plane), 8 vSwitches per node pool (an ESS scaling
// group's limit) and 10 instance types per node pool.
const (
	maxTags             = 20
	maxTagLen           = 128
	maxClusterVSwitches = 5
	maxPoolVSwitches    = 8
	maxInstanceTypes    = 10
	maxListEntryLen     = 128
	DefaultMaxClusters  = 1000 // per account, see Config.MaxClustersPerAccount
)

// checkList bounds a list field's length and the length of its entries.
func checkList(field string, list []string, most int) error {
	if len(list) > most {
		return upgrade.Invalidf("%s: at most %d entries, got %d", field, most, len(list))
	}
	for i, v := range list {
		if len(v) > maxListEntryLen {
			return upgrade.Invalidf("%s[%d] is longer than %d characters", field, i, maxListEntryLen)
		}
	}
	return nil
}

// checkLists bounds CreateCluster's tags, vSwitches and instance types.
func checkLists(p *CreateClusterParams) error {
	if len(p.Tags) > maxTags {
		return upgrade.Invalidf("tags: at most %d tags, got %d", maxTags, len(p.Tags))
	}
	for i, t := range p.Tags {
		if len(t.Key) > maxTagLen || len(t.Value) > maxTagLen {
			return upgrade.Invalidf("tags[%d]: keys and values are at most %d characters", i, maxTagLen)
		}
	}
	if err := checkList("vswitch_ids", p.VSwitchIDs, maxClusterVSwitches); err != nil {
		return err
	}
	if err := checkList("worker_instance_types", p.WorkerInstanceTypes, maxInstanceTypes); err != nil {
		return err
	}
	for i, np := range p.NodePools {
		if err := checkList(fmt.Sprintf("nodepools[%d].scaling_group.vswitch_ids", i), np.VSwitchIDs, maxPoolVSwitches); err != nil {
			return err
		}
		if err := checkList(fmt.Sprintf("nodepools[%d].scaling_group.instance_types", i), np.InstanceTypes, maxInstanceTypes); err != nil {
			return err
		}
	}
	return nil
}

// checkClusterQuota refuses a new cluster for an account that already has
// as many live clusters as it may.
func (s *Service) checkClusterQuota(ctx context.Context, q store.Querier, account string) error {
	_, n, err := q.ClusterList(ctx, upgrade.ClusterListParams{AccountID: account, Limit: 1})
	if err != nil {
		return fmt.Errorf("count clusters of %s: %w", account, err)
	}
	if n >= s.maxClusters {
		return upgrade.Quotaf("the account already has %d clusters, the most this server allows per account; delete one, or ask the operator to raise --max-clusters-per-account", n)
	}
	return nil
}

// validateCreate checks CreateCluster's parameters and fills defaults.
func validateCreate(p *CreateClusterParams) error {
	if err := upgrade.ValidateClusterName(p.Name); err != nil {
		return err
	}
	if p.RegionID == "" {
		return upgrade.Missingf("region_id is required")
	}
	shape := upgrade.ClusterShape{ClusterType: p.ClusterType, ClusterSpec: p.ClusterSpec, Profile: p.Profile}
	if err := upgrade.ValidateClusterShape(shape); err != nil {
		return err
	}
	shape = shape.WithDefaults()
	p.ClusterType, p.ClusterSpec, p.Profile = shape.ClusterType, shape.ClusterSpec, shape.Profile
	if p.KubernetesVersion == "" {
		p.KubernetesVersion = upgrade.LatestVersion()
	}
	if v, ok := upgrade.LookupVersion(p.KubernetesVersion); !ok || !v.Creatable {
		return upgrade.Invalidf("kubernetes_version %q is not a creatable version; DescribeKubernetesVersionMetadata lists them", p.KubernetesVersion)
	}
	if p.NumOfNodes < 0 || p.NumOfNodes > 100 {
		return upgrade.Invalidf("num_of_nodes must be between 0 and 100, got %d", p.NumOfNodes)
	}
	if len(p.NodePools) == 0 && p.NumOfNodes > 0 {
		p.NodePools = []NodePoolSpec{{Name: "default-nodepool", DesiredSize: p.NumOfNodes, InstanceTypes: p.WorkerInstanceTypes, VSwitchIDs: p.VSwitchIDs}}
	}
	if len(p.NodePools) > maxPools {
		return upgrade.Invalidf("nodepools: at most %d node pools, got %d", maxPools, len(p.NodePools))
	}
	if err := checkLists(p); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, np := range p.NodePools {
		switch {
		case np.Name == "":
			return upgrade.Missingf("nodepools[%d].nodepool_info.name is required", i)
		case seen[np.Name]:
			return upgrade.Invalidf("nodepools[%d].nodepool_info.name %q is used twice", i, np.Name)
		case np.DesiredSize < 0 || np.DesiredSize > maxNodesPerPool:
			return upgrade.Invalidf("nodepools[%d].scaling_group.desired_size must be between 0 and %d, got %d", i, maxNodesPerPool, np.DesiredSize)
		}
		seen[np.Name] = true
	}
	return nil
}

// CreateCluster records a new simulated cluster in state initial with its
// node pools and nodes, and a cluster_create task that brings it up.
func (s *Service) CreateCluster(ctx context.Context, account string, p CreateClusterParams) (Created, error) {
	if err := validateCreate(&p); err != nil {
		return Created{}, err
	}
	now := s.now().UTC()
	c := upgrade.Cluster{
		ID: upgrade.NewClusterID(), AccountID: account, Name: p.Name, RegionID: p.RegionID,
		ClusterType: p.ClusterType, ClusterSpec: p.ClusterSpec, Profile: p.Profile,
		CurrentVersion: p.KubernetesVersion, InitVersion: p.KubernetesVersion, State: upgrade.ClusterInitial,
		VpcID: p.VpcID, VSwitchIDs: p.VSwitchIDs, ContainerCIDR: p.ContainerCIDR, ServiceCIDR: p.ServiceCIDR,
		Tags: p.Tags, Executor: upgrade.ExecutorSim, DeletionProtect: p.DeletionProtect, Created: now, Updated: now,
	}
	if c.VpcID == "" {
		c.VpcID = "vpc-" + upgrade.NewInstanceID()[2:]
	}
	if c.ContainerCIDR == "" {
		c.ContainerCIDR = "172.20.0.0/16"
	}
	if c.ServiceCIDR == "" {
		c.ServiceCIDR = "172.21.0.0/20"
	}
	params, _ := json.Marshal(map[string]any{"name": p.Name, "region_id": p.RegionID, "kubernetes_version": p.KubernetesVersion})
	task := upgrade.Task{
		ID: upgrade.NewTaskID(), ClusterID: c.ID, AccountID: account, Type: upgrade.TaskClusterCreate,
		State: upgrade.TaskRunning, Stage: upgrade.StageCreateCluster, TargetID: c.ID, TargetType: "cluster", Params: params,
		Message: "creating the cluster", Created: now, Updated: now, NextRunAt: now,
		Stages: []upgrade.Stage{{Name: upgrade.StageCreateCluster, State: upgrade.StageRunning, Start: now}},
	}
	err := s.st.InTx(ctx, func(q store.Querier) error {
		if err := s.checkClusterQuota(ctx, q, account); err != nil {
			return err
		}
		if err := q.ClusterInsert(ctx, c); err != nil {
			return err
		}
		k := 0
		for i, spec := range p.NodePools {
			np := upgrade.NodePool{ID: upgrade.NewNodePoolID(), ClusterID: c.ID, Name: spec.Name, IsDefault: i == 0,
				DesiredSize: spec.DesiredSize, InstanceTypes: spec.InstanceTypes, VSwitchIDs: spec.VSwitchIDs,
				State: upgrade.NodePoolInitial, Created: now, Updated: now}
			if len(np.InstanceTypes) == 0 {
				np.InstanceTypes = []string{"ecs.g7.xlarge"}
			}
			if err := q.NodePoolInsert(ctx, np); err != nil {
				return err
			}
			for j := 0; j < spec.DesiredSize; j++ {
				ip := upgrade.NodeIP(k)
				k++
				n := upgrade.Node{ClusterID: c.ID, NodePoolID: np.ID, InstanceID: upgrade.NewInstanceID(),
					Name: upgrade.NodeName(c.RegionID, ip), IP: ip, InstanceType: np.InstanceTypes[0],
					Version: c.CurrentVersion, Status: upgrade.NodeNotReady, State: "initial", Created: now, Updated: now}
				if err := q.NodeInsert(ctx, n); err != nil {
					return err
				}
			}
		}
		if err := q.TaskInsert(ctx, task); err != nil {
			return err
		}
		return q.EventAppend(ctx, task.ID, []upgrade.TaskEvent{s.event(upgrade.ReasonClusterCreationStart,
			fmt.Sprintf("creating cluster %s (%s) with %d nodes at Kubernetes %s", c.Name, c.ID, k, c.CurrentVersion))})
	})
	if err != nil {
		return Created{}, fmt.Errorf("create cluster: %w", err)
	}
	s.wake(task.ID)
	return Created{ClusterID: c.ID, TaskID: task.ID}, nil
}

// view adds what DescribeClusterDetail derives.
func (s *Service) view(ctx context.Context, q store.Querier, c upgrade.Cluster) (ClusterView, error) {
	_, size, err := q.NodeList(ctx, upgrade.NodeListParams{ClusterID: c.ID, Limit: 1})
	if err != nil {
		return ClusterView{}, fmt.Errorf("count nodes of %s: %w", c.ID, err)
	}
	v := ClusterView{Cluster: c, Size: size, NextVersion: c.TargetVersion}
	if v.NextVersion == "" {
		if up := upgrade.UpgradableVersions(c.CurrentVersion); len(up) > 0 {
			v.NextVersion = up[len(up)-1]
		}
	}
	return v, nil
}

// DescribeCluster returns a cluster of account.
func (s *Service) DescribeCluster(ctx context.Context, account, clusterID string) (ClusterView, error) {
	s.refreshLive(ctx, account, clusterID)
	c, err := s.clusterGet(ctx, s.st, account, clusterID)
	if err != nil {
		return ClusterView{}, err
	}
	return s.view(ctx, s.st, c)
}

// ListClusters returns a page of account's clusters and the total count.
func (s *Service) ListClusters(ctx context.Context, account string, p upgrade.ClusterListParams) ([]ClusterView, int, error) {
	p.AccountID = account
	cs, total, err := s.st.ClusterList(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list clusters: %w", err)
	}
	out := make([]ClusterView, 0, len(cs))
	for _, c := range cs {
		v, err := s.view(ctx, s.st, c)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// DeleteCluster deletes a cluster that has no task in progress. From then on
// every operation on it answers ErrorClusterNotFound; its delete task stays
// readable.
func (s *Service) DeleteCluster(ctx context.Context, account, clusterID string) (Created, error) {
	now := s.now().UTC()
	task := upgrade.Task{ID: upgrade.NewTaskID(), ClusterID: clusterID, AccountID: account, Type: upgrade.TaskClusterDelete,
		State: upgrade.TaskSuccess, Stage: upgrade.StageDeleteCluster, TargetID: clusterID, TargetType: "cluster",
		Params: json.RawMessage(`{}`), Message: "cluster deleted", Created: now, Updated: now,
		Stages: []upgrade.Stage{{Name: upgrade.StageDeleteCluster, State: upgrade.StageSuccess, Start: now, End: now}}}
	err := s.st.InTx(ctx, func(q store.Querier) error {
		c, err := s.clusterGet(ctx, q, account, clusterID)
		if err != nil {
			return err
		}
		if c.DeletionProtect {
			return upgrade.ClusterStatef("cluster %s has deletion protection on; turn it off before deleting", clusterID)
		}
		if t, err := q.TaskActive(ctx, clusterID); err == nil {
			return upgrade.ClusterStatef("cluster %s cannot be deleted while task %s (%s) is %s; wait for it or cancel it", clusterID, t.ID, t.Type, t.State)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c.State, c.Updated = upgrade.ClusterDeleted, now
		if err := q.ClusterUpdate(ctx, c); err != nil {
			return err
		}
		if err := q.TaskInsert(ctx, task); err != nil {
			return err
		}
		return q.EventAppend(ctx, task.ID, []upgrade.TaskEvent{s.event(upgrade.ReasonClusterDeleted, fmt.Sprintf("cluster %s (%s) deleted", c.Name, c.ID))})
	})
	if err != nil {
		return Created{}, err
	}
	return Created{ClusterID: clusterID, TaskID: task.ID}, nil
}

// ListNodePools returns a cluster's node pools (optionally those named
// name) with node counts.
func (s *Service) ListNodePools(ctx context.Context, account, clusterID, name string) ([]NodePoolView, error) {
	s.refreshLive(ctx, account, clusterID)
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return nil, err
	}
	pools, err := s.st.NodePoolList(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("list node pools of %s: %w", clusterID, err)
	}
	nodes, _, err := s.st.NodeList(ctx, upgrade.NodeListParams{ClusterID: clusterID})
	if err != nil {
		return nil, fmt.Errorf("list nodes of %s: %w", clusterID, err)
	}
	out := []NodePoolView{}
	for _, np := range pools {
		if name != "" && np.Name != name {
			continue
		}
		v := NodePoolView{NodePool: np}
		for _, n := range nodes {
			if n.NodePoolID != np.ID {
				continue
			}
			v.TotalNodes++
			switch {
			case n.State == "initial":
				v.InitialNodes++
			case n.Status == upgrade.NodeReady:
				v.HealthyNodes++
				if !n.Unschedulable {
					v.ServingNodes++
				}
			default:
				v.FailedNodes++
			}
			if v.Version == "" || upgrade.CompareVersions(n.Version, v.Version) < 0 {
				v.Version = n.Version
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// ListNodes returns a page of a cluster's nodes and the total count.
func (s *Service) ListNodes(ctx context.Context, account string, p upgrade.NodeListParams) ([]upgrade.Node, int, error) {
	s.refreshLive(ctx, account, p.ClusterID)
	if _, err := s.clusterGet(ctx, s.st, account, p.ClusterID); err != nil {
		return nil, 0, err
	}
	if p.NodePoolID != "" {
		if _, err := s.poolGet(ctx, s.st, p.ClusterID, p.NodePoolID); err != nil {
			return nil, 0, err
		}
	}
	nodes, total, err := s.st.NodeList(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list nodes of %s: %w", p.ClusterID, err)
	}
	return nodes, total, nil
}

func (s *Service) poolGet(ctx context.Context, q store.Querier, clusterID, poolID string) (upgrade.NodePool, error) {
	np, err := q.NodePoolGet(ctx, clusterID, poolID)
	if errors.Is(err, store.ErrNotFound) {
		return np, upgrade.NotFound(upgrade.ResNodePool, poolID)
	}
	if err != nil {
		return np, fmt.Errorf("get node pool %s: %w", poolID, err)
	}
	return np, nil
}
