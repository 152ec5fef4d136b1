package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/upgrade"
)

// idle is how long a paused task with nothing in flight waits between looks;
// a resume wakes it at once.
const idle = time.Hour

// upgrade drives a cluster_upgrade or nodepool_upgrade task one step.
func (p *pass) upgrade() error {
	pl, ok, err := loadPlan(p.task.Plan)
	if err != nil {
		return p.fail("InternalError", fmt.Sprintf("the task's progress record cannot be read: %v", err))
	}
	if !ok {
		var spec upgrade.UpgradeSpec
		if err := json.Unmarshal(p.task.Params, &spec); err != nil {
			return p.fail("InvalidParameter", fmt.Sprintf("the task's parameters cannot be read: %v", err))
		}
		pl = newPlan(spec, p.now, p.pools, p.nodes)
		p.startPrecheck(pl, true)
	}
	defer func() {
		if p.task.State == upgrade.TaskFailed {
			pl.Failed = true
		}
		pl.Rollout = pl.progress(p.task.Stage)
		p.task.Plan = pl.encode()
	}()
	if pl.Failed {
		p.reenter(pl)
	}

	if p.task.Desired == upgrade.DesireCancel && pl.safePoint() {
		p.cancel(pl)
		return nil
	}
	switch pl.Phase {
	case phasePrecheck:
		return p.precheck(pl)
	case phaseControlPlane:
		return p.controlPlane(pl)
	case phaseNodes:
		return p.rollout(pl)
	}
	return p.fail("InternalError", fmt.Sprintf("unknown phase %q", pl.Phase))
}

// safePoint reports whether the upgrade may stop now without leaving a
// component half-upgraded: not during the control plane step, and with no
// node in flight.
func (pl *plan) safePoint() bool {
	return pl.Phase == phasePrecheck || (pl.Phase == phaseControlPlane && pl.PhaseStart.IsZero()) ||
		(pl.Phase == phaseNodes && len(pl.Batch) == 0)
}

func (p *pass) cancel(pl *plan) {
	msg := fmt.Sprintf("the upgrade to %s was canceled on request", pl.Spec.TargetVersion)
	switch {
	case pl.Phase == phasePrecheck:
		msg += " during the precheck; nothing was changed"
	case pl.Total > 0:
		msg += fmt.Sprintf(": %d of %d nodes were upgraded; %s", pl.Upgraded, pl.Total, p.versionsNow(pl))
	default:
		msg += "; " + p.versionsNow(pl)
	}
	p.task.ErrorCode, p.task.ErrorMessage, p.task.Message = "TaskCanceled", msg, msg
	p.emit(upgrade.LevelNormal, upgrade.ReasonTaskCanceled, "%s", msg)
	p.finish(upgrade.TaskCanceled, upgrade.StageCanceled)
}

func (p *pass) step(pl *plan, started time.Time) executor.Step {
	return executor.Step{Cluster: p.cluster, Target: pl.Spec.TargetVersion, Started: started, Now: p.now, Attempt: pl.Attempt}
}

// startPrecheck lays out a precheck run: its stage, its check (inserted by
// the commit) and the task's step and message. The first pass over a new
// upgrade calls it, with the check id the service reserved on the task,
// and so does a retry of a failed precheck, with a new check.
func (p *pass) startPrecheck(pl *plan, first bool) {
	id, start := p.task.PrecheckID, p.task.Created
	if !first || id == "" {
		id, start = upgrade.NewCheckID(p.cluster.ID, p.now), p.now
	}
	chk := upgrade.Precheck(&p.task, pl.Spec, id, start)
	p.newCheck = &chk
	pl.Phase, pl.PhaseStart = phasePrecheck, p.now
	p.task.PrecheckID = id
	p.task.Step = upgrade.StepPrechecking
	p.task.Message = upgrade.PrecheckMessage(pl.Spec.TargetVersion)
	p.stage(upgrade.StagePrecheck, "success")
	// The stage starts with its check: for a new upgrade, when the task was
	// created, as the views showed it before this pass (upgrade.Laid).
	p.task.Stages[len(p.task.Stages)-1].Start = start
}

// reenter takes a failed upgrade up again, after a retry was asked for, at
// the step that failed: a failed precheck runs again (as a new check); a
// failed control plane step starts again; in the node phase the nodes that
// were in flight go on from their step with a fresh start (the failed one
// is tried again), and nodes already upgraded stay so. It runs once per
// retry, in the same commit as the step after it.
func (p *pass) reenter(pl *plan) {
	pl.Failed = false
	pl.Attempt++
	p.emit(upgrade.LevelNormal, "TaskRetryStart", "attempt %d of the upgrade to %s starts again at the %s step",
		pl.Attempt+1, pl.Spec.TargetVersion, strings.ReplaceAll(pl.Phase, "_", " "))
	switch pl.Phase {
	case phasePrecheck:
		p.startPrecheck(pl, false)
	case phaseControlPlane:
		pl.PhaseStart = time.Time{} // controlPlane starts the step and its stage again
	case phaseNodes:
		p.stage(upgrade.StageNodePools, "")
		if pool := pl.Pools[pl.PoolIdx]; pool.Started {
			if np := p.pool(pool.ID); np != nil {
				np.State = upgrade.NodePoolUpdating
				p.poolsChanged[np.ID] = true
			}
		}
		for _, name := range pl.Batch {
			pl.Nodes[name].Start, pl.Nodes[name].Blocker = p.now, ""
		}
		p.progressMessage(pl)
	}
}

func (p *pass) precheck(pl *plan) error {
	items, r, err := p.ex.Precheck(p.ctx, p.step(pl, pl.PhaseStart), p.nodes)
	if err != nil {
		if errors.Is(err, executor.ErrStepFailed) {
			return p.fail(upgrade.ReasonPrecheckFailed, err.Error())
		}
		p.transient("precheck", err)
		return nil
	}
	if !r.Done {
		p.retry(r)
		return nil
	}
	var failed []string
	for _, it := range upgrade.Blocking(items, pl.Spec.IgnoresWarnings()) {
		failed = append(failed, fmt.Sprintf("%s (%s)", it.Name, it.Message))
	}
	id, finished := p.task.PrecheckID, p.now
	if len(failed) > 0 {
		p.checkDone = func(chk *upgrade.Check) {
			chk.Items, chk.Finished = items, finished
			chk.Status, chk.Message = upgrade.CheckFailed, fmt.Sprintf("%d of %d check items failed", len(failed), len(items))
		}
		p.emit(upgrade.LevelWarning, upgrade.ReasonPrecheckFailed, "precheck %s failed: %s", id, strings.Join(failed, "; "))
		return p.fail(upgrade.ReasonPrecheckFailed, fmt.Sprintf("the precheck failed, so nothing was changed: %s. Read the report with GetClusterCheck %s, fix the cause, and start the upgrade again",
			strings.Join(failed, "; "), id))
	}
	p.checkDone = func(chk *upgrade.Check) {
		chk.Items, chk.Finished = items, finished
		chk.Status, chk.Message = upgrade.CheckSucceeded, fmt.Sprintf("all %d check items passed", len(items))
		if ignored := len(upgrade.Blocking(items, false)); ignored > 0 {
			chk.Message = fmt.Sprintf("%d of %d check items passed; %d failed items of level warning do not stop this upgrade", len(items)-ignored, len(items), ignored)
		}
	}
	p.emit(upgrade.LevelNormal, upgrade.ReasonPrecheckPassed, "precheck %s passed (%d items)", id, len(items))
	p.task.Step = upgrade.StepUpgrading
	if pl.Spec.SkipControlPlane {
		p.toNodes(pl, upgrade.StageSuccess)
		return nil
	}
	pl.Phase, pl.PhaseStart = phaseControlPlane, time.Time{}
	p.endStage(upgrade.StageSuccess, "")
	p.after(0)
	return nil
}

// controlPlane starts the control plane step (unless the task is paused
// before it) and waits for it to finish.
func (p *pass) controlPlane(pl *plan) error {
	if pl.PhaseStart.IsZero() {
		if p.task.State == upgrade.TaskPaused {
			p.task.Message = "paused after the precheck, before the control plane upgrade; resume with ResumeTask"
			p.after(idle)
			return nil
		}
		pl.PhaseStart = p.now
		p.stage(upgrade.StageControlPlane, upgrade.StageSuccess)
		p.task.Message = fmt.Sprintf("upgrading the control plane from %s to %s", p.cluster.CurrentVersion, pl.Spec.TargetVersion)
		p.emit(upgrade.LevelNormal, upgrade.ReasonControlPlaneStart, "upgrading the control plane from %s to %s", p.cluster.CurrentVersion, pl.Spec.TargetVersion)
	}
	r, err := p.ex.ControlPlaneUpgrade(p.ctx, p.step(pl, pl.PhaseStart))
	if errors.Is(err, executor.ErrStepFailed) {
		p.emit(upgrade.LevelWarning, upgrade.ReasonControlPlaneFailed, "%s", err.Error())
		return p.failUpgrade(pl, upgrade.ReasonControlPlaneFailed, err.Error())
	}
	if err != nil {
		p.transient("control plane step", err)
		return nil
	}
	if !r.Done {
		if r.Blocker != "" {
			p.task.Message = r.Blocker
		}
		p.retry(r)
		return nil
	}
	from := p.cluster.CurrentVersion
	p.cluster.CurrentVersion = pl.Spec.TargetVersion
	p.clusterChanged = true
	p.emit(upgrade.LevelNormal, upgrade.ReasonControlPlaneDone, "the control plane was upgraded from %s to %s", from, pl.Spec.TargetVersion)
	p.toNodes(pl, upgrade.StageSuccess)
	return nil
}

// toNodes moves the plan to the node rollout, or finishes when there are no
// nodes to upgrade.
func (p *pass) toNodes(pl *plan, endState string) {
	if len(pl.Pools) == 0 {
		p.endStage(endState, "")
		p.succeed(pl)
		return
	}
	pl.Phase, pl.PhaseStart = phaseNodes, p.now
	p.stage(upgrade.StageNodePools, endState)
}

func (p *pass) succeed(pl *plan) {
	msg := fmt.Sprintf("the upgrade to %s finished", pl.Spec.TargetVersion)
	switch {
	case pl.Spec.SkipControlPlane:
		msg += fmt.Sprintf(": %d nodes upgraded", pl.Upgraded)
	case pl.Total > 0:
		msg += fmt.Sprintf(": control plane and %d nodes upgraded", pl.Upgraded)
	default:
		msg += ": control plane upgraded"
	}
	p.task.Message = msg
	p.emit(upgrade.LevelNormal, upgrade.ReasonTaskSucceeded, "%s", msg)
	p.finish(upgrade.TaskSuccess, upgrade.StageSuccess)
}
