package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// ensureIdle returns ErrorClusterState unless the cluster is running and
// has no task in progress.
func ensureIdle(ctx context.Context, q store.Querier, c upgrade.Cluster) error {
	if c.State == upgrade.ClusterInitial {
		return upgrade.ClusterStatef("cluster %s is still being created; wait until its state is running", c.ID)
	}
	t, err := q.TaskActive(ctx, c.ID)
	if err == nil {
		return upgrade.ClusterStatef("cluster %s already has task %s (%s) %s; wait for it to finish or cancel it with CancelTask", c.ID, t.ID, t.Type, t.State)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("active task of %s: %w", c.ID, err)
	}
	if c.State != upgrade.ClusterRunning {
		return upgrade.ClusterStatef("cluster %s is %s; only a running cluster can be upgraded", c.ID, c.State)
	}
	return nil
}

// startUpgrade records a new upgrade task with its spec (and the id its
// precheck will have) in one transaction; the engine lays out its stages
// and creates the precheck on its first pass, and takes it from there.
func (s *Service) startUpgrade(ctx context.Context, account, clusterID string, typ upgrade.TaskType, targetID, targetType string,
	validate func(q store.Querier, c upgrade.Cluster) (upgrade.UpgradeSpec, error)) (string, error) {
	now := s.now().UTC()
	task := upgrade.Task{ID: upgrade.NewTaskID(), ClusterID: clusterID, AccountID: account, Type: typ,
		State: upgrade.TaskRunning, TargetID: targetID, TargetType: targetType,
		Created: now, Updated: now, NextRunAt: now}
	err := s.st.InTx(ctx, func(q store.Querier) error {
		c, err := s.clusterGet(ctx, q, account, clusterID)
		if err != nil {
			return err
		}
		if err := ensureIdle(ctx, q, c); err != nil {
			return err
		}
		spec, err := validate(q, c)
		if err != nil {
			return err
		}
		task.Params, _ = json.Marshal(spec)
		// Only the id of the precheck is reserved here, so that clients
		// can read precheck_report_id at once; the engine creates the
		// check when it takes the task up.
		task.PrecheckID = upgrade.NewCheckID(c.ID, now)
		if err := q.TaskInsert(ctx, task); err != nil {
			return err
		}
		if !spec.SkipControlPlane {
			c.TargetVersion = spec.TargetVersion
		}
		c.State, c.Updated = upgrade.ClusterUpdating, now
		if err := q.ClusterUpdate(ctx, c); err != nil {
			return err
		}
		return q.EventAppend(ctx, task.ID, []upgrade.TaskEvent{s.event(upgrade.ReasonUpgradeStart,
			fmt.Sprintf("upgrade of %s %s to Kubernetes %s requested", targetType, targetID, spec.TargetVersion))})
	})
	if err != nil {
		return "", err
	}
	s.wake(task.ID)
	return task.ID, nil
}

// UpgradeCluster starts an upgrade of the control plane and then (unless
// MasterOnly) of every node pool.
func (s *Service) UpgradeCluster(ctx context.Context, account, clusterID string, p UpgradeParams) (string, error) {
	if err := upgrade.ValidateClusterUpgrade(p); err != nil {
		return "", err
	}
	return s.startUpgrade(ctx, account, clusterID, upgrade.TaskClusterUpgrade, clusterID, "cluster",
		func(q store.Querier, c upgrade.Cluster) (upgrade.UpgradeSpec, error) {
			if err := upgrade.CheckUpgradeTarget(c.CurrentVersion, p.NextVersion); err != nil {
				return upgrade.UpgradeSpec{}, err
			}
			return upgrade.UpgradeSpec{TargetVersion: p.NextVersion, MasterOnly: p.MasterOnly, MaxParallelism: p.Parallelism(),
				PausePolicy: upgrade.PauseNotPause}, nil
		})
}

// UpgradeNodePool starts an upgrade of a node pool's nodes (or of the named
// ones) to a version no newer than the control plane.
func (s *Service) UpgradeNodePool(ctx context.Context, account, clusterID, poolID string, p NodePoolUpgradeParams) (string, error) {
	if err := upgrade.ValidateNodePoolUpgrade(p); err != nil {
		return "", err
	}
	return s.startUpgrade(ctx, account, clusterID, upgrade.TaskNodePoolUpgrade, poolID, "nodepool",
		func(q store.Querier, c upgrade.Cluster) (upgrade.UpgradeSpec, error) {
			if _, err := s.poolGet(ctx, q, clusterID, poolID); err != nil {
				return upgrade.UpgradeSpec{}, err
			}
			nodes, _, err := q.NodeList(ctx, upgrade.NodeListParams{ClusterID: clusterID, NodePoolID: poolID})
			if err != nil {
				return upgrade.UpgradeSpec{}, err
			}
			target := p.KubernetesVersion
			if target == "" {
				target = c.CurrentVersion
			}
			names := map[string]bool{}
			for _, n := range nodes {
				names[n.Name] = true
			}
			for _, want := range p.NodeNames {
				if !names[want] {
					return upgrade.UpgradeSpec{}, upgrade.Invalidf("node_names: node %q is not in node pool %s", want, poolID)
				}
			}
			behind := 0
			for _, n := range nodes {
				if len(p.NodeNames) > 0 && !slices.Contains(p.NodeNames, n.Name) {
					continue
				}
				if err := upgrade.CheckNodeTarget(c.CurrentVersion, n.Version, target); err != nil {
					return upgrade.UpgradeSpec{}, err
				}
				if n.Version != target {
					behind++
				}
			}
			if behind == 0 {
				return upgrade.UpgradeSpec{}, upgrade.Invalidf("kubernetes_version: every selected node of node pool %s already runs %s", poolID, target)
			}
			return upgrade.UpgradeSpec{TargetVersion: target, SkipControlPlane: true, NodePoolID: poolID, NodeNames: p.NodeNames,
				MaxParallelism: p.Parallelism(), PausePolicy: p.Policy(), BatchInterval: p.Interval(),
				IgnoreWarningCheck: p.IgnoreWarningCheck}, nil
		})
}

// UpgradeStatus renders the cluster's current or latest upgrade in
// GetUpgradeStatus's view, with the task's events (upgrade_task carries
// them). It reads through the reader pool and never waits on the engine's
// writes.
func (s *Service) UpgradeStatus(ctx context.Context, account, clusterID string) (upgrade.UpgradeStatus, error) {
	latest, found, err := s.st.TaskStatusLatest(ctx, account, clusterID, upgrade.TaskClusterUpgrade)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return upgrade.UpgradeStatus{}, upgrade.NotFound(upgrade.ResCluster, clusterID)
	case err != nil:
		return upgrade.UpgradeStatus{}, fmt.Errorf("latest upgrade of %s: %w", clusterID, err)
	case !found:
		return upgrade.StatusOf(nil, nil), nil
	}
	t, err := s.st.TaskGet(ctx, account, latest.ID)
	if err != nil {
		return upgrade.UpgradeStatus{}, fmt.Errorf("latest upgrade of %s: %w", clusterID, err)
	}
	evs, err := s.st.EventList(ctx, t.ID)
	if err != nil {
		return upgrade.UpgradeStatus{}, fmt.Errorf("events of %s: %w", t.ID, err)
	}
	return upgrade.StatusOf(&t, evs), nil
}
