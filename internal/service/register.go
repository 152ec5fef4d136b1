package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// DefaultRegion is the region of a registered cluster that names none.
const DefaultRegion = "cn-hangzhou"

// RegisterParams are RegisterCluster's inputs. The caller (the API layer or
// the admin command) reads the live cluster with kube.Snapshot, using the
// same kubeconfig and configuration, and passes what it saw as Live: the
// service itself never talks to a Kubernetes cluster.
type RegisterParams struct {
	Name     string
	RegionID string // DefaultRegion when empty
	Tags     []upgrade.Tag
	// Kubeconfig is the cluster's kubeconfig: a credential, sealed with the
	// server key, never logged and never returned.
	Kubeconfig []byte
	// Kube is the executor's configuration: pool label, upgrade actions,
	// drain timeout and policy. Its Kubeconfig field is ignored.
	Kube kubecfg.Config
	// Live is the cluster as the caller just read it.
	Live kubecfg.Live
}

// validateRegister checks RegisterCluster's parameters and fills defaults.
// No message quotes the kubeconfig.
func validateRegister(p *RegisterParams) error {
	if err := upgrade.ValidateClusterName(p.Name); err != nil {
		return err
	}
	switch {
	case len(p.Kubeconfig) == 0:
		return upgrade.Missingf("kubeconfig is required: the kubeconfig of the cluster to register")
	case len(p.Kubeconfig) > kubecfg.MaxKubeconfigSize:
		return upgrade.Invalidf("kubeconfig is larger than %d bytes", kubecfg.MaxKubeconfigSize)
	}
	if p.RegionID == "" {
		p.RegionID = DefaultRegion
	}
	p.Kube.Kubeconfig = p.Kubeconfig
	if err := p.Kube.Validate(); err != nil {
		return upgrade.Invalidf("%v", err)
	}
	p.Kube = p.Kube.WithDefaults()
	if upgrade.Minor(p.Live.ServerVersion) == "" {
		return upgrade.Invalidf("the cluster's API server reports version %q, which ackup cannot read", p.Live.KubeVersion)
	}
	seen := map[string]bool{}
	for _, n := range p.Live.Nodes {
		if n.Name == "" || seen[n.Name] {
			return upgrade.Invalidf("the cluster reports a node without a name, or node %q twice", n.Name)
		}
		seen[n.Name] = true
		if n.Pool == "" {
			return upgrade.Invalidf("node %s has no pool", n.Name)
		}
	}
	return nil
}

// RegisterCluster records an existing Kubernetes cluster (cluster_type
// ExternalKubernetes) that the Kubernetes executor upgrades through its
// kubeconfig. The cluster's version, node pools (from the pool label) and
// nodes are taken from p.Live; the kubeconfig and executor configuration are
// sealed into the cluster's ExecutorConfig. A finished cluster_create task
// records the registration.
func (s *Service) RegisterCluster(ctx context.Context, account string, p RegisterParams) (Created, error) {
	if err := validateRegister(&p); err != nil {
		return Created{}, err
	}
	now := s.now().UTC()
	c := upgrade.Cluster{
		ID: upgrade.NewClusterID(), AccountID: account, Name: p.Name, RegionID: p.RegionID,
		ClusterType: upgrade.TypeExternalKubernetes, Profile: "Default",
		CurrentVersion: p.Live.ServerVersion, InitVersion: p.Live.ServerVersion, State: upgrade.ClusterRunning,
		Tags: p.Tags, Executor: upgrade.ExecutorKube, ExecutorConfig: s.box.Seal(p.Kube.Encode()), Created: now, Updated: now,
	}
	params, _ := json.Marshal(map[string]any{"name": p.Name, "region_id": p.RegionID, "cluster_type": c.ClusterType})
	msg := fmt.Sprintf("registered cluster %s (%s): Kubernetes %s with %d nodes in %d node pools (pool label %s)",
		c.Name, c.ID, c.CurrentVersion, len(p.Live.Nodes), len(p.Live.Pools()), p.Kube.PoolLabel)
	task := upgrade.Task{
		ID: upgrade.NewTaskID(), ClusterID: c.ID, AccountID: account, Type: upgrade.TaskClusterCreate,
		State: upgrade.TaskSuccess, Stage: upgrade.StageRegisterCluster, TargetID: c.ID, TargetType: "cluster", Params: params,
		Message: msg, Created: now, Updated: now,
		Stages: []upgrade.Stage{{Name: upgrade.StageRegisterCluster, State: upgrade.StageSuccess, Start: now, End: now}},
	}
	err := s.st.InTx(ctx, func(q store.Querier) error {
		if err := s.checkClusterQuota(ctx, q, account); err != nil {
			return err
		}
		if err := q.ClusterInsert(ctx, c); err != nil {
			return err
		}
		if err := s.syncLive(ctx, q, c.ID, p.Live, now); err != nil {
			return err
		}
		if err := q.TaskInsert(ctx, task); err != nil {
			return err
		}
		return q.EventAppend(ctx, task.ID, []upgrade.TaskEvent{s.event(upgrade.ReasonClusterRegistered, msg)})
	})
	if err != nil {
		return Created{}, fmt.Errorf("register cluster: %w", err)
	}
	return Created{ClusterID: c.ID, TaskID: task.ID}, nil
}

// ClusterKubeConfig opens a registered cluster's sealed executor
// configuration (with its kubeconfig), so that the caller can read the live
// cluster. It is for the server's own use: never render it.
func (s *Service) ClusterKubeConfig(ctx context.Context, account, clusterID string) (kubecfg.Config, error) {
	c, err := s.clusterGet(ctx, s.st, account, clusterID)
	if err != nil {
		return kubecfg.Config{}, err
	}
	if c.Executor != upgrade.ExecutorKube {
		return kubecfg.Config{}, upgrade.Invalidf("cluster %s is not a registered Kubernetes cluster", clusterID)
	}
	plain, err := s.box.Open(c.ExecutorConfig)
	if err != nil {
		return kubecfg.Config{}, fmt.Errorf("open the executor configuration of %s: %w", clusterID, err)
	}
	return kubecfg.Decode(plain)
}

// SyncCluster brings a registered cluster's recorded version, node pools and
// nodes in line with a fresh snapshot of it, so that DescribeClusterDetail
// and friends reflect the live cluster. While a task holds the cluster the
// engine owns those records and SyncCluster leaves them alone; it reports
// whether it changed anything.
func (s *Service) SyncCluster(ctx context.Context, account, clusterID string, live kubecfg.Live) (bool, error) {
	if upgrade.Minor(live.ServerVersion) == "" {
		return false, upgrade.Invalidf("the cluster's API server reports version %q, which ackup cannot read", live.KubeVersion)
	}
	now := s.now().UTC()
	synced := false
	err := s.st.InTx(ctx, func(q store.Querier) error {
		c, err := s.clusterGet(ctx, q, account, clusterID)
		if err != nil {
			return err
		}
		if c.Executor != upgrade.ExecutorKube {
			return upgrade.Invalidf("cluster %s is not a registered Kubernetes cluster", clusterID)
		}
		if _, err := q.TaskActive(ctx, clusterID); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if c.CurrentVersion != live.ServerVersion {
			c.CurrentVersion, c.Updated = live.ServerVersion, now
			if err := q.ClusterUpdate(ctx, c); err != nil {
				return err
			}
		}
		synced = true
		return s.syncLive(ctx, q, clusterID, live, now)
	})
	if err != nil {
		return false, fmt.Errorf("sync cluster %s: %w", clusterID, err)
	}
	return synced, nil
}

// syncLive records a snapshot's node pools and nodes: new ones are
// inserted, known ones updated, and recorded nodes the cluster no longer
// has are marked NotReady in state "removed".
func (s *Service) syncLive(ctx context.Context, q store.Querier, clusterID string, live kubecfg.Live, now time.Time) error {
	pools, err := q.NodePoolList(ctx, clusterID)
	if err != nil {
		return err
	}
	byName := map[string]*upgrade.NodePool{}
	for i := range pools {
		byName[pools[i].Name] = &pools[i]
	}
	// A cluster's default pool is the one of unlabelled nodes, or else the
	// first pool seen when the cluster is registered.
	defaultPool := kubecfg.DefaultPoolName
	if len(pools) == 0 && !slices.Contains(live.Pools(), defaultPool) {
		defaultPool = live.Pools()[0]
	}
	for _, name := range live.Pools() {
		np, ok := byName[name]
		size, types := poolMembers(live, name)
		if !ok {
			np = &upgrade.NodePool{ID: upgrade.NewNodePoolID(), ClusterID: clusterID, Name: name,
				IsDefault:   name == defaultPool,
				DesiredSize: size, InstanceTypes: types, State: upgrade.NodePoolActive, Created: now, Updated: now}
			if err := q.NodePoolInsert(ctx, *np); err != nil {
				return err
			}
			byName[name] = np
			continue
		}
		if np.DesiredSize != size || !slices.Equal(np.InstanceTypes, types) {
			np.DesiredSize, np.InstanceTypes, np.Updated = size, types, now
			if err := q.NodePoolUpdate(ctx, *np); err != nil {
				return err
			}
		}
	}
	recorded, _, err := q.NodeList(ctx, upgrade.NodeListParams{ClusterID: clusterID})
	if err != nil {
		return err
	}
	known := map[string]upgrade.Node{}
	for _, n := range recorded {
		known[n.Name] = n
	}
	for _, ln := range live.Nodes {
		n, ok := known[ln.Name]
		delete(known, ln.Name)
		want := n
		want.ClusterID, want.NodePoolID, want.Name = clusterID, byName[ln.Pool].ID, ln.Name
		want.InstanceID, want.IP, want.InstanceType, want.Version = ln.InstanceID, ln.IP, ln.InstanceType, ln.Version
		want.Status, want.Unschedulable, want.State, want.Upgrading = upgrade.NodeNotReady, ln.Unschedulable, "running", false
		if ln.Ready {
			want.Status = upgrade.NodeReady
		}
		switch {
		case !ok:
			want.Created, want.Updated = now, now
			if err := q.NodeInsert(ctx, want); err != nil {
				return err
			}
		case want != n:
			want.Updated = now
			if err := q.NodeUpdate(ctx, want); err != nil {
				return err
			}
		}
	}
	for _, n := range known {
		if n.State == "removed" {
			continue
		}
		n.Status, n.State, n.Upgrading, n.Updated = upgrade.NodeNotReady, "removed", false, now
		if err := q.NodeUpdate(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// poolMembers counts a pool's nodes and lists their instance types.
func poolMembers(live kubecfg.Live, pool string) (int, []string) {
	size := 0
	types := []string{}
	for _, n := range live.Nodes {
		if n.Pool != pool {
			continue
		}
		size++
		if n.InstanceType != "" && !slices.Contains(types, n.InstanceType) {
			types = append(types, n.InstanceType)
		}
	}
	return size, types
}
