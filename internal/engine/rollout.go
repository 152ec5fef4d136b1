package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/upgrade"
)

// rollout drives the node phase: the batch in flight advances one step per
// node; when it is empty the pause policy and batch interval are honoured and
// the next batch starts.
func (p *pass) rollout(pl *plan) error {
	pool := &pl.Pools[pl.PoolIdx]
	if !pool.Started {
		pool.Started, pool.StartedAt = true, p.now
		if np := p.pool(pool.ID); np != nil {
			np.State = upgrade.NodePoolUpdating
			p.poolsChanged[np.ID] = true
		}
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodePoolUpgradeStart, "upgrading %d nodes of node pool %s (%s) to %s, %d at a time",
			len(pool.Nodes), pool.Name, pool.ID, pl.Spec.TargetVersion, max(pl.Spec.MaxParallelism, 1))
	}
	if len(pl.Batch) > 0 {
		if err := p.advanceBatch(pl); err != nil || p.task.State.Terminal() {
			return err
		}
		if len(pl.Batch) > 0 {
			p.progressMessage(pl)
			return nil
		}
		pl.Batches++
		p.emit(upgrade.LevelNormal, upgrade.ReasonBatchUpgraded, "batch %d of node pool %s finished", pl.Batches, pool.Name)
		if p.poolFinished(pl) {
			return nil
		}
		p.applyPausePolicy(pl)
	}
	if p.task.Desired == upgrade.DesireCancel {
		p.cancel(pl)
		return nil
	}
	if p.task.State == upgrade.TaskPaused {
		p.progressMessage(pl)
		p.after(idle)
		return nil
	}
	if p.now.Before(pl.NextBatchAt) {
		p.task.Message = fmt.Sprintf("waiting %s between batches (batch_interval); %d of %d nodes upgraded", pl.NextBatchAt.Sub(p.now).Round(time.Second), pl.Upgraded, pl.Total)
		p.next = pl.NextBatchAt
		return nil
	}
	if p.poolFinished(pl) {
		return nil
	}
	pool = &pl.Pools[pl.PoolIdx]
	pl.Batch = pl.pending(*pool, max(pl.Spec.MaxParallelism, 1))
	for _, name := range pl.Batch {
		n := pl.Nodes[name]
		n.Step, n.Start = nodeCordon, p.now
		if n.Order == 0 {
			n.Order = pl.started() + 1
		}
	}
	p.emit(upgrade.LevelNormal, upgrade.ReasonBatchStart, "batch %d of node pool %s: %s", pl.Batches+1, pool.Name, strings.Join(pl.Batch, ", "))
	p.progressMessage(pl)
	return nil
}

// poolFinished moves to the next pool when the current one is done, and
// finishes the task after the last; it reports whether the pool was done.
func (p *pass) poolFinished(pl *plan) bool {
	pool := pl.Pools[pl.PoolIdx]
	if !pl.poolDone(pool) {
		return false
	}
	if np := p.pool(pool.ID); np != nil {
		np.State = upgrade.NodePoolActive
		p.poolsChanged[np.ID] = true
	}
	p.emit(upgrade.LevelNormal, upgrade.ReasonNodePoolUpgraded, "node pool %s (%s) upgraded to %s", pool.Name, pool.ID, pl.Spec.TargetVersion)
	pl.PoolIdx++
	if pl.PoolIdx == len(pl.Pools) {
		p.succeed(pl)
		return true
	}
	p.after(0)
	return true
}

func (p *pass) applyPausePolicy(pl *plan) {
	switch {
	case pl.Spec.PausePolicy.PausesAfter(pl.Batches):
		if p.task.State == upgrade.TaskRunning {
			p.task.State = upgrade.TaskPaused
			p.emit(upgrade.LevelNormal, upgrade.ReasonTaskPaused, "paused after batch %d as pause_policy %s asks; resume with ResumeTask", pl.Batches, pl.Spec.PausePolicy)
		}
	case pl.Spec.BatchInterval > 0:
		d := time.Duration(pl.Spec.BatchInterval) * time.Minute
		if s, ok := p.ex.(executor.Scaler); ok {
			d = s.Scale(d)
		}
		pl.NextBatchAt = p.now.Add(d)
	}
}

// advanceBatch takes one step on every node in flight.
func (p *pass) advanceBatch(pl *plan) error {
	var still []string
	for _, name := range pl.Batch {
		prog := pl.Nodes[name]
		n := p.node(name)
		if n == nil {
			return p.failUpgrade(pl, upgrade.ReasonNodeNotFound, fmt.Sprintf("node %s disappeared from the cluster during its upgrade", name))
		}
		if err := p.advanceNode(pl, n, prog); err != nil {
			var dt *executor.DrainTimeoutError
			if errors.As(err, &dt) {
				if err := p.drainTimedOut(pl, n, prog, dt); err != nil || p.task.State.Terminal() {
					return err
				}
				if prog.Step == nodeDone || prog.Step == upgrade.NodePending {
					continue
				}
				p.e.cfg.Logger.Warn("node step", "task_id", p.task.ID, "node", name, "step", prog.Step, "err", err)
				p.after(time.Second)
			} else if errors.Is(err, executor.ErrStepFailed) {
				return p.failUpgrade(pl, failCode(prog.Step), err.Error())
			} else {
				p.transient(fmt.Sprintf("node %s step %s", name, prog.Step), err)
			}
		}
		if prog.Step != nodeDone {
			still = append(still, name)
		}
	}
	pl.Batch = still
	return nil
}

func failCode(step upgrade.NodeStep) string {
	switch step {
	case nodeDrain:
		return upgrade.ReasonNodeDrainFailed
	case nodeReady:
		return upgrade.ReasonNodeNotReady
	}
	return upgrade.ReasonNodeUpgradeFailed
}

// advanceNode takes the next step of one node: cordon, drain, upgrade, wait
// until Ready at the target, uncordon.
func (p *pass) advanceNode(pl *plan, n *upgrade.Node, prog *nodeProgress) error {
	st := p.step(pl, prog.Start)
	moveTo := func(step upgrade.NodeStep) {
		prog.Step, prog.Start, prog.Blocker, prog.BlockedPod, prog.BlockingPDB = step, p.now, "", "", ""
		p.nodesChanged[n.Name] = true
		p.after(0)
	}
	switch prog.Step {
	case nodeCordon:
		if err := p.ex.NodeCordon(p.ctx, st, *n); err != nil {
			return err
		}
		n.Unschedulable, n.Upgrading = true, true
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodeCordoned, "node %s cordoned", n.Name)
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodeDrainStart, "draining node %s", n.Name)
		moveTo(nodeDrain)
	case nodeDrain:
		r, err := p.ex.NodeDrain(p.ctx, st, *n)
		if err != nil {
			return err
		}
		if !r.Done {
			if r.Blocker != prog.Blocker && r.Blocker != "" {
				p.emit(upgrade.LevelWarning, upgrade.ReasonNodeDrainBlocked, "%s", r.Blocker)
			}
			prog.Blocker, prog.BlockedPod, prog.BlockingPDB = r.Blocker, r.BlockedPod, r.BlockingPDB
			p.retry(r)
			return nil
		}
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodeDrained, "node %s drained", n.Name)
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodeUpgradeStart, "upgrading node %s from %s to %s", n.Name, n.Version, pl.Spec.TargetVersion)
		n.Status = upgrade.NodeNotReady
		moveTo(nodeUpgrade)
	case nodeUpgrade:
		r, err := p.ex.NodeUpgrade(p.ctx, st, *n)
		if err != nil {
			return err
		}
		if !r.Done {
			prog.Blocker = r.Blocker
			p.retry(r)
			return nil
		}
		from := n.Version
		n.Version = pl.Spec.TargetVersion
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodeUpgraded, "node %s upgraded from %s to %s", n.Name, from, n.Version)
		moveTo(nodeReady)
	case nodeReady:
		r, err := p.ex.NodeWaitReady(p.ctx, st, *n)
		if err != nil {
			return err
		}
		if !r.Done {
			prog.Blocker = r.Blocker
			p.retry(r)
			return nil
		}
		n.Status = upgrade.NodeReady
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodeReady, "node %s is Ready at %s", n.Name, n.Version)
		moveTo(nodeUncordon)
	case nodeUncordon:
		if err := p.ex.NodeUncordon(p.ctx, st, *n); err != nil {
			return err
		}
		n.Unschedulable, n.Upgrading = false, false
		p.emit(upgrade.LevelNormal, upgrade.ReasonNodeUncordoned, "node %s uncordoned", n.Name)
		pl.Upgraded++
		if pool := pl.poolOf(n.Name); pool != nil {
			pool.LastDone = p.now
		}
		moveTo(nodeDone)
	}
	return nil
}

// progressMessage writes upgrade_task.message: progress, the nodes in
// flight, and what blocks them.
func (p *pass) progressMessage(pl *plan) {
	pool := pl.Pools[min(pl.PoolIdx, len(pl.Pools)-1)]
	var b strings.Builder
	fmt.Fprintf(&b, "upgrading node pool %s to %s: %d of %d nodes upgraded", pool.Name, pl.Spec.TargetVersion, pl.Upgraded, pl.Total)
	if p.task.State == upgrade.TaskPaused {
		if len(pl.Batch) > 0 {
			b.WriteString("; paused, finishing nodes in flight: " + strings.Join(pl.Batch, ", "))
		} else {
			b.WriteString("; paused, resume with ResumeTask")
		}
	} else if len(pl.Batch) > 0 {
		b.WriteString("; in flight: ")
		for i, name := range pl.Batch {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", name, pl.Nodes[name].Step)
		}
	}
	for _, name := range pl.Batch {
		if bl := pl.Nodes[name].Blocker; bl != "" {
			b.WriteString("; blocked: " + bl)
		}
	}
	p.task.Message = b.String()
}

// drainTimedOut applies the cluster's drain timeout policy to a node whose
// drain stayed blocked too long.
func (p *pass) drainTimedOut(pl *plan, n *upgrade.Node, prog *nodeProgress, dt *executor.DrainTimeoutError) error {
	p.emit(upgrade.LevelWarning, upgrade.ReasonNodeDrainTimeout, "node %s: %s; policy %s", n.Name, dt.Error(), dt.Policy)
	switch dt.Policy {
	case executor.DrainSkip:
		if err := p.ex.NodeUncordon(p.ctx, p.step(pl, p.now), *n); err != nil {
			return err
		}
		n.Unschedulable, n.Upgrading = false, false
		p.nodesChanged[n.Name] = true
		prog.Step, prog.Blocker, prog.Skipped = nodeDone, dt.Blocker, true
		pl.Skipped++
		p.emit(upgrade.LevelWarning, upgrade.ReasonNodeSkipped, "node %s was skipped and stays at %s: %s", n.Name, n.Version, dt.Blocker)
		p.after(0)
		return nil
	case executor.DrainPause:
		// The node goes back to pending (still cordoned); a resume drains it
		// again with a fresh timeout.
		prog.Step, prog.Blocker, prog.BlockedPod, prog.BlockingPDB = upgrade.NodePending, "", "", ""
		if p.task.State == upgrade.TaskRunning {
			p.task.State = upgrade.TaskPaused
			p.emit(upgrade.LevelWarning, upgrade.ReasonTaskPaused, "paused because the drain of node %s stayed blocked: %s; relax the blocker, then ResumeTask", n.Name, dt.Blocker)
		}
		p.after(0)
		return nil
	}
	return p.failUpgrade(pl, upgrade.ReasonNodeDrainTimeout, fmt.Sprintf("the drain of node %s stayed blocked for %s: %s", n.Name, dt.Timeout, dt.Blocker))
}
