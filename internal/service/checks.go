package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// RunCheck runs a cluster check now and records its report.
func (s *Service) RunCheck(ctx context.Context, account, clusterID string, p CheckParams) (string, error) {
	if p.Type == "" {
		return "", upgrade.Missingf("type is required")
	}
	if p.Type == "ClusterMigrate" {
		return "", upgrade.Invalidf("type ClusterMigrate is not supported by ackup; use ClusterUpgrade, MasterUpgrade or NodePoolUpgrade")
	}
	if err := upgrade.OneOf("type", p.Type, upgrade.CheckClusterUpgrade, upgrade.CheckMasterUpgrade, upgrade.CheckNodePoolUpgrade); err != nil {
		return "", err
	}
	c, err := s.clusterGet(ctx, s.st, account, clusterID)
	if err != nil {
		return "", err
	}
	np := upgrade.NodeListParams{ClusterID: clusterID}
	if p.Type == upgrade.CheckNodePoolUpgrade {
		if p.Target == "" {
			return "", upgrade.Missingf("target (the node pool id) is required when type is NodePoolUpgrade")
		}
		if _, err := s.poolGet(ctx, s.st, clusterID, p.Target); err != nil {
			return "", err
		}
		np.NodePoolID = p.Target
	}
	target := p.Options["targetVersion"]
	if target == "" {
		if up := upgrade.UpgradableVersions(c.CurrentVersion); len(up) > 0 {
			target = up[len(up)-1]
		} else {
			target = c.CurrentVersion
		}
	} else if _, ok := upgrade.LookupVersion(target); !ok {
		return "", upgrade.Invalidf("options.targetVersion %q is not a known Kubernetes version", target)
	}
	nodes, _, err := s.st.NodeList(ctx, np)
	if err != nil {
		return "", err
	}
	ex, err := s.executor(c)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	// A standalone check reports at once: its start is placed far enough in
	// the past that simulated check time has elapsed.
	items, _, err := ex.Precheck(ctx, executor.Step{Cluster: c, Target: target, Started: now.Add(-365 * 24 * time.Hour), Now: now}, nodes)
	if err != nil {
		return "", fmt.Errorf("run check on %s: %w", clusterID, err)
	}
	chk := upgrade.Check{ID: upgrade.NewCheckID(clusterID, now), ClusterID: clusterID, Type: p.Type, Target: p.Target,
		Options: p.Options, Created: now, Finished: s.now().UTC(), Items: items}
	chk.Status, chk.Message = Verdict(items)
	if err := s.st.CheckInsert(ctx, chk); err != nil {
		return "", fmt.Errorf("record check: %w", err)
	}
	return chk.ID, nil
}

// Verdict sums up check items: Failed if any item failed that would stop
// an upgrade that ignores no warnings (upgrade.CheckItem.Blocks).
func Verdict(items []upgrade.CheckItem) (status, message string) {
	var failed []string
	for _, it := range upgrade.Blocking(items, false) {
		failed = append(failed, it.Name)
	}
	if len(failed) == 0 {
		return upgrade.CheckSucceeded, fmt.Sprintf("all %d check items passed", len(items))
	}
	return upgrade.CheckFailed, fmt.Sprintf("%d of %d check items failed: %v", len(failed), len(items), failed)
}

// GetCheck returns a check report of a cluster.
func (s *Service) GetCheck(ctx context.Context, account, clusterID, checkID string) (upgrade.Check, error) {
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return upgrade.Check{}, err
	}
	c, err := s.st.CheckGet(ctx, clusterID, checkID)
	if errors.Is(err, store.ErrNotFound) {
		if pending, ok := s.pendingPrecheck(ctx, clusterID, checkID); ok {
			return pending, nil
		}
		return c, upgrade.NotFound(upgrade.ResCheck, checkID)
	}
	if err != nil {
		return c, fmt.Errorf("get check %s: %w", checkID, err)
	}
	return c, nil
}

// pendingPrecheck renders the precheck of a new upgrade that the engine has
// not taken up yet: its id is reserved on the task, its check not yet
// recorded.
func (s *Service) pendingPrecheck(ctx context.Context, clusterID, checkID string) (upgrade.Check, bool) {
	t, err := s.st.TaskActive(ctx, clusterID)
	if err != nil || t.PrecheckID != checkID || len(t.Stages) > 0 {
		return upgrade.Check{}, false
	}
	spec, err := upgrade.SpecOf(&t)
	if err != nil {
		return upgrade.Check{}, false
	}
	return upgrade.Precheck(&t, spec, checkID, t.Created), true
}

// ListChecks lists a cluster's checks, newest first.
func (s *Service) ListChecks(ctx context.Context, account, clusterID, typ, target string) ([]upgrade.Check, error) {
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return nil, err
	}
	cs, err := s.st.CheckList(ctx, clusterID, typ, target)
	if err != nil {
		return nil, fmt.Errorf("list checks of %s: %w", clusterID, err)
	}
	return cs, nil
}
