package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// Retrying backs off. A store that refuses writes (a full disk) or an
// executor that cannot be built fails the same way on every attempt, and
// retrying at once made the engine claim ~730 times a second and log every
// one while the user saw nothing. Each failure of a task (an error before
// its pass commits, or a transient executor error inside a step) and each
// failed claim waits base·2^(n-1), capped, with equal jitter (half fixed,
// half random) so that replicas do not retry in step; the wait is logged
// once per attempt, which the back-off itself keeps rare; and from the
// recordAfter-th attempt on the reason is written on the task, where
// DescribeTaskInfo and GetUpgradeStatus show it.
//
// The engine may not import k8s.io (only the Kubernetes executor does), so
// this is a dozen lines of its own rather than client-go's workqueue rate
// limiter.

// Defaults of the retry back-off.
const (
	DefaultRetryBase = 500 * time.Millisecond
	DefaultRetryCap  = time.Minute
	// recordAfter is the attempt from which a task's message carries the
	// reason it is being retried: one failure is usually a blip.
	recordAfter = 3
)

// retryDelay is the wait before attempt n+1 after n consecutive failures.
// rnd is in [0, 1).
func retryDelay(base, ceiling time.Duration, n int, rnd float64) time.Duration {
	d := ceiling
	if n < 1 {
		n = 1
	}
	if n <= 30 && base<<(n-1) < ceiling {
		d = base << (n - 1)
	}
	return d/2 + time.Duration(rnd*float64(d/2))
}

// retryState is what the engine remembers of a task that keeps failing.
type retryState struct {
	attempts  int
	notBefore time.Time // do not drive the task before this
	message   string    // the retry message last written on the task
}

// retryMessage is what a task says while it is retried.
func retryMessage(n int, d time.Duration, err error) string {
	return fmt.Sprintf("retrying in %s after %d failed attempts: %v", d.Round(100*time.Millisecond), n, err)
}

// noteFailure counts a failure of task id and returns the attempt number
// and the wait before the next one.
func (e *Engine) noteFailure(id string, now time.Time) (int, time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.retries[id]
	if st == nil {
		st = &retryState{}
		e.retries[id] = st
	}
	st.attempts++
	d := retryDelay(e.cfg.RetryBase, e.cfg.RetryCap, st.attempts, e.cfg.Rand())
	st.notBefore = now.Add(d)
	return st.attempts, d
}

// recordedMessage notes the retry message written on task id.
func (e *Engine) recordedMessage(id, msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.retries[id]; st != nil {
		st.message = msg
	}
}

// lastRetryMessage returns the retry message last written on task id
// ("" if none).
func (e *Engine) lastRetryMessage(id string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.retries[id]; st != nil {
		return st.message
	}
	return ""
}

// succeeded forgets task id's failures.
func (e *Engine) succeeded(id string) {
	e.mu.Lock()
	delete(e.retries, id)
	e.mu.Unlock()
}

// backingOff reports whether task id must not be driven at now, and until when.
func (e *Engine) backingOff(id string, now time.Time) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.retries[id]; st != nil && now.Before(st.notBefore) {
		return st.notBefore, true
	}
	return time.Time{}, false
}

// failed backs task c off after a pass that ended in err before it could
// commit: it logs the failure and, under the task's lease, moves the task's
// next run to after the wait and (from the recordAfter-th attempt) writes
// the reason on it. Should that write fail as well (the store refusing
// writes), the wait is still kept in memory.
func (e *Engine) failed(ctx context.Context, c store.Claim, err error) {
	now := e.cfg.Now().UTC()
	n, d := e.noteFailure(c.TaskID, now)
	e.cfg.Logger.Warn("task pass failed, backing off", "task_id", c.TaskID, "attempt", n, "retry_in", d, "err", err)
	msg := ""
	if n >= recordAfter {
		msg = retryMessage(n, d, err)
	}
	werr := e.cfg.Store.InTx(ctx, func(q store.Querier) error {
		if err := q.TaskFenceCheck(ctx, c.TaskID, e.cfg.Owner, c.Fence, now); err != nil {
			return err
		}
		t, err := q.TaskGet(ctx, "", c.TaskID)
		if err != nil || !t.State.Active() {
			return err
		}
		t.NextRunAt = now.Add(d)
		if msg != "" {
			t.Message = msg
		}
		return q.TaskUpdate(ctx, t)
	})
	if werr == nil && msg != "" {
		e.recordedMessage(c.TaskID, msg)
	}
	if werr != nil && !errors.Is(werr, store.ErrFenced) && ctx.Err() == nil {
		e.cfg.Logger.Warn("record task back-off", "task_id", c.TaskID, "err", werr)
	}
}

// transient backs the pass's task off after a transient executor error in
// a step: the pass still commits, looking again after the wait, and from
// the recordAfter-th attempt the task's message says why.
func (p *pass) transient(what string, err error) {
	n, d := p.e.noteFailure(p.task.ID, p.now)
	p.transientErr = true
	p.after(d)
	p.e.cfg.Logger.Warn(what+" failed, backing off", "task_id", p.task.ID, "attempt", n, "retry_in", d, "err", err)
	if n >= recordAfter {
		p.task.Message = retryMessage(n, d, fmt.Errorf("%s: %w", what, err))
		p.e.recordedMessage(p.task.ID, p.task.Message)
	}
}
