package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// pass is one look at one task: what was read, and what the step changes.
type pass struct {
	e     *Engine
	ctx   context.Context
	now   time.Time
	claim store.Claim
	ex    executor.Executor

	seen    upgrade.Task // the task as read, to detect concurrent changes
	task    upgrade.Task
	cluster upgrade.Cluster
	pools   []upgrade.NodePool
	nodes   []upgrade.Node

	clusterChanged bool
	poolsChanged   map[string]bool
	nodesChanged   map[string]bool
	// newCheck is a precheck this pass starts (inserted in the commit);
	// checkDone records a precheck's verdict on the stored check inside
	// the commit, so the check is read and written under the lease.
	newCheck     *upgrade.Check
	checkDone    func(*upgrade.Check)
	events       []upgrade.TaskEvent
	next         time.Time // when to look again; zero = now
	transientErr bool      // a step failed transiently (see transient)
}

// errChanged means the task was changed by a request during the pass; the
// pass is dropped and taken again at once.
var errChanged = errors.New("task changed during the pass")

// Reconcile takes one pass over a claimed task and records it. It returns
// the task's type (for metrics).
func (e *Engine) Reconcile(ctx context.Context, c store.Claim) (string, error) {
	p := &pass{e: e, ctx: ctx, now: e.cfg.Now().UTC(), claim: c, poolsChanged: map[string]bool{}, nodesChanged: map[string]bool{}}
	t, err := e.cfg.Store.TaskGet(ctx, "", c.TaskID)
	if err != nil {
		return "", fmt.Errorf("get task %s: %w", c.TaskID, err)
	}
	p.seen, p.task = t, t
	if !t.State.Active() {
		e.succeeded(t.ID) // nothing more to retry
		return string(t.Type), e.cfg.Store.TaskRelease(ctx, t.ID, e.cfg.Owner)
	}
	if p.cluster, err = e.cfg.Store.ClusterGet(ctx, "", t.ClusterID); err != nil {
		return string(t.Type), fmt.Errorf("get cluster %s: %w", t.ClusterID, err)
	}
	if p.pools, err = e.cfg.Store.NodePoolList(ctx, t.ClusterID); err != nil {
		return string(t.Type), err
	}
	if p.nodes, _, err = e.cfg.Store.NodeList(ctx, upgrade.NodeListParams{ClusterID: t.ClusterID}); err != nil {
		return string(t.Type), err
	}
	if p.ex, err = e.cfg.Executor(p.cluster); err != nil {
		return string(t.Type), err
	}
	switch t.Type {
	case upgrade.TaskClusterCreate:
		err = p.create()
	case upgrade.TaskClusterUpgrade, upgrade.TaskNodePoolUpgrade:
		err = p.upgrade()
	default:
		err = p.fail("UnsupportedTask", fmt.Sprintf("task type %s cannot be driven", t.Type))
	}
	if err != nil {
		return string(t.Type), err
	}
	if !p.transientErr {
		// The step went through: a retry message it did not replace is stale.
		if msg := e.lastRetryMessage(t.ID); msg != "" && p.task.Message == msg {
			p.task.Message = ""
		}
	}
	err = p.commit()
	if errors.Is(err, errChanged) {
		e.Wake(t.ID)
		return string(t.Type), nil
	}
	if err == nil && !p.transientErr {
		e.succeeded(t.ID)
	}
	return string(t.Type), err
}

// commit writes the pass in one transaction under the task's lease.
func (p *pass) commit() error {
	p.task.Updated = p.now
	if p.next.IsZero() || p.next.Before(p.now) {
		p.next = p.now
	}
	p.task.NextRunAt = p.next
	return p.e.cfg.Store.InTx(p.ctx, func(q store.Querier) error {
		if err := q.TaskFenceCheck(p.ctx, p.task.ID, p.e.cfg.Owner, p.claim.Fence, p.now); err != nil {
			return err
		}
		cur, err := q.TaskGet(p.ctx, "", p.task.ID)
		if err != nil {
			return err
		}
		if cur.State != p.seen.State || cur.Desired != p.seen.Desired || !cur.Updated.Equal(p.seen.Updated) {
			return errChanged
		}
		if err := q.TaskUpdate(p.ctx, p.task); err != nil {
			return err
		}
		if p.clusterChanged {
			p.cluster.Updated = p.now
			if err := q.ClusterUpdate(p.ctx, p.cluster); err != nil {
				return err
			}
		}
		for _, np := range p.pools {
			if p.poolsChanged[np.ID] {
				np.Updated = p.now
				if err := q.NodePoolUpdate(p.ctx, np); err != nil {
					return err
				}
			}
		}
		for _, n := range p.nodes {
			if p.nodesChanged[n.Name] {
				n.Updated = p.now
				if err := q.NodeUpdate(p.ctx, n); err != nil {
					return err
				}
			}
		}
		if p.newCheck != nil {
			if err := q.CheckInsert(p.ctx, *p.newCheck); err != nil {
				return err
			}
		}
		if p.checkDone != nil {
			chk, err := q.CheckGet(p.ctx, p.cluster.ID, p.task.PrecheckID)
			if err != nil {
				return fmt.Errorf("get precheck %s: %w", p.task.PrecheckID, err)
			}
			p.checkDone(&chk)
			if err := q.CheckUpdate(p.ctx, chk); err != nil {
				return err
			}
		}
		if len(p.events) > 0 {
			return q.EventAppend(p.ctx, p.task.ID, p.events)
		}
		return nil
	})
}

// emit records an event of this pass, stamped with the lease it is written
// under so that a stale writer would show in the task's history.
func (p *pass) emit(level, reason, format string, a ...any) {
	p.events = append(p.events, upgrade.TaskEvent{Time: p.now, Level: level, Reason: reason, Source: "ACK",
		Action: reason, Message: fmt.Sprintf(format, a...), Owner: p.e.cfg.Owner, Fence: p.claim.Fence})
}

// after asks to look again in d (the earliest request wins).
func (p *pass) after(d time.Duration) {
	at := p.now.Add(d)
	if p.next.IsZero() || at.Before(p.next) {
		p.next = at
	}
}

// retry turns an executor result into the next look.
func (p *pass) retry(r executor.Result) {
	d := r.RetryAfter
	if d <= 0 {
		d = time.Second
	}
	p.after(d)
}

func (p *pass) node(name string) *upgrade.Node {
	for i := range p.nodes {
		if p.nodes[i].Name == name {
			return &p.nodes[i]
		}
	}
	return nil
}

func (p *pass) pool(id string) *upgrade.NodePool {
	for i := range p.pools {
		if p.pools[i].ID == id {
			return &p.pools[i]
		}
	}
	return nil
}

// stage starts a new stage, ending the current one with state.
func (p *pass) stage(name, endState string) {
	p.endStage(endState, "")
	p.task.Stage = name
	p.task.Stages = append(p.task.Stages, upgrade.Stage{Name: name, State: upgrade.StageRunning, Start: p.now})
}

func (p *pass) endStage(state, msg string) {
	if n := len(p.task.Stages); n > 0 && p.task.Stages[n-1].State == upgrade.StageRunning {
		p.task.Stages[n-1].State = state
		p.task.Stages[n-1].End = p.now
		if msg != "" {
			p.task.Stages[n-1].Message = msg
		}
	}
}

// finish ends the task in a terminal state and gives the cluster back.
func (p *pass) finish(state upgrade.TaskState, stageState string) {
	p.task.State = state
	p.task.Desired = upgrade.DesireNone
	p.endStage(stageState, p.task.ErrorMessage)
	p.cluster.State = upgrade.ClusterRunning
	p.cluster.TargetVersion = ""
	p.clusterChanged = true
	for i := range p.pools {
		if p.pools[i].State != upgrade.NodePoolActive {
			p.pools[i].State = upgrade.NodePoolActive
			p.poolsChanged[p.pools[i].ID] = true
		}
	}
	p.next = p.now.Add(time.Hour)
}

// fail ends the task as failed with a code and a message for a person.
func (p *pass) fail(code, msg string) error {
	p.task.ErrorCode, p.task.ErrorMessage, p.task.Message = code, msg, msg
	p.emit(upgrade.LevelWarning, upgrade.ReasonTaskFailed, "%s", msg)
	p.finish(upgrade.TaskFailed, upgrade.StageFailed)
	return nil
}

// create drives a cluster_create task.
func (p *pass) create() error {
	r, err := p.ex.ClusterCreate(p.ctx, executor.Step{Cluster: p.cluster, Started: p.task.Created, Now: p.now})
	if errors.Is(err, executor.ErrStepFailed) {
		p.cluster.State = upgrade.ClusterFailed
		p.clusterChanged = true
		p.task.ErrorCode, p.task.ErrorMessage = upgrade.ReasonClusterCreationFailed, err.Error()
		p.task.State = upgrade.TaskFailed
		p.endStage(upgrade.StageFailed, err.Error())
		p.emit(upgrade.LevelWarning, upgrade.ReasonClusterCreationFailed, "%s", err.Error())
		return nil
	}
	if err != nil {
		p.transient("create cluster step", err)
		return nil
	}
	if !r.Done {
		p.retry(r)
		return nil
	}
	for i := range p.nodes {
		p.nodes[i].Status, p.nodes[i].State = upgrade.NodeReady, "running"
		p.nodesChanged[p.nodes[i].Name] = true
	}
	for i := range p.pools {
		p.pools[i].State = upgrade.NodePoolActive
		p.poolsChanged[p.pools[i].ID] = true
	}
	p.cluster.State = upgrade.ClusterRunning
	p.clusterChanged = true
	p.task.State = upgrade.TaskSuccess
	p.task.Message = "cluster created"
	p.endStage(upgrade.StageSuccess, "")
	p.emit(upgrade.LevelNormal, upgrade.ReasonClusterCreated, "cluster %s is running Kubernetes %s with %d nodes", p.cluster.ID, p.cluster.CurrentVersion, len(p.nodes))
	return nil
}
