package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// What the engines of several replicas need to share the tasks: leases with
// fencing tokens, the next due time, and wake-ups over LISTEN/NOTIFY.
//
// A lease is free when lease_owner is empty, and expired once lease_until is
// not after now: the owner holds it only while now < lease_until.

// TaskClaim leases up to p.Limit due tasks (all due tasks if p.Limit is not
// positive) to p.Owner, earliest NextRunAt first.
//
// The due rows are picked and locked by a MATERIALIZED CTE with FOR UPDATE
// SKIP LOCKED, then updated by joining on it. Replicas claiming at the same
// moment neither wait on each other nor take the same task: a row another
// claim has locked is skipped, and a row it has just claimed fails the
// re-check of the WHERE clause PostgreSQL makes after locking. MATERIALIZED
// makes PostgreSQL evaluate the locking SELECT exactly once, so its LIMIT
// bounds what is claimed whatever plan the UPDATE gets (a plain
// "WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)" leaves that to
// the planner).
func (q queries) TaskClaim(ctx context.Context, p store.ClaimParams) ([]store.Claim, error) {
	if p.Owner == "" || p.Lease <= 0 {
		// An empty owner would read as a free lease.
		return nil, fmt.Errorf("claim tasks: need an owner and a positive lease, got %q and %v", p.Owner, p.Lease)
	}
	rows, err := q.db.Query(ctx, `
		WITH due AS MATERIALIZED (
			SELECT id FROM tasks
			WHERE state IN ($5, $6) AND next_run_at <= $2
				AND (lease_owner = '' OR lease_owner = $1 OR lease_until <= $2)
			ORDER BY next_run_at, id
			LIMIT $4
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE tasks SET
				fence = CASE WHEN tasks.lease_owner = $1 THEN tasks.fence ELSE tasks.fence + 1 END,
				lease_owner = $1,
				lease_until = $3
			FROM due WHERE tasks.id = due.id
			RETURNING tasks.id, tasks.fence, tasks.next_run_at
		)
		SELECT id, fence FROM claimed ORDER BY next_run_at, id`,
		p.Owner, p.Now, p.Now.Add(p.Lease), limitArg(p.Limit),
		string(upgrade.TaskRunning), string(upgrade.TaskPaused))
	if err != nil {
		return nil, fmt.Errorf("claim tasks for %s: %w", p.Owner, err)
	}
	claims, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Claim, error) {
		var c store.Claim
		err := r.Scan(&c.TaskID, &c.Fence)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim tasks for %s: %w", p.Owner, err)
	}
	return claims, nil
}

// TaskFenceCheck returns ErrFenced unless owner holds the task's lease at now
// with token fence; a task that does not exist is ErrFenced too. It reads
// the row FOR UPDATE, so inside a transaction the lease cannot change hands
// until the transaction ends and the step's writes land under a valid lease.
func (q queries) TaskFenceCheck(ctx context.Context, taskID, owner string, fence int64, now time.Time) error {
	var (
		leaseOwner string
		leaseUntil time.Time
		current    int64
	)
	err := q.db.QueryRow(ctx, `SELECT lease_owner, lease_until, fence FROM tasks WHERE id = $1 FOR UPDATE`,
		taskID).Scan(&leaseOwner, &leaseUntil, &current)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("fence check of task %s: task gone: %w", taskID, store.ErrFenced)
	case err != nil:
		return fmt.Errorf("fence check of task %s: %w", taskID, err)
	case leaseOwner != owner || current != fence || !now.Before(leaseUntil):
		return fmt.Errorf("fence check of task %s: %s with token %d at %s, lease is %q with token %d until %s: %w",
			taskID, owner, fence, now.UTC().Format(time.RFC3339Nano),
			leaseOwner, current, leaseUntil.UTC().Format(time.RFC3339Nano), store.ErrFenced)
	}
	return nil
}

// TaskRelease frees owner's lease on the task; it keeps the fencing token, so
// the next owner's claim moves past it. A lease owner does not hold is left
// alone.
func (q queries) TaskRelease(ctx context.Context, taskID, owner string) error {
	_, err := q.db.Exec(ctx, `UPDATE tasks SET lease_owner = '', lease_until = $3
		WHERE id = $1 AND lease_owner = $2`, taskID, owner, time.Time{})
	if err != nil {
		return fmt.Errorf("release task %s for %s: %w", taskID, owner, err)
	}
	return nil
}

// TaskNextDue returns the earliest NextRunAt among running and paused tasks,
// leased or not; ok is false when there are none.
func (q queries) TaskNextDue(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	err := q.db.QueryRow(ctx, `SELECT min(next_run_at) FROM tasks WHERE state IN ($1, $2)`,
		string(upgrade.TaskRunning), string(upgrade.TaskPaused)).Scan(&t)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due task: %w", err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return t.UTC(), true, nil
}

// taskChannel is the LISTEN/NOTIFY channel of task wake-ups. Channels are
// per database, not per schema: deployments sharing a database wake each
// other spuriously, which costs a look at an idle task and nothing more.
const taskChannel = "ackup_tasks"

// Reconnection backoff of Listen.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 10 * time.Second
)

var _ store.Notifier = (*Store)(nil)

// Notify wakes the engines of every replica listening with Listen for the
// task: call it after committing a change the task's engine should act on
// sooner than its next scheduled look.
func (s *Store) Notify(ctx context.Context, taskID string) error {
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", taskChannel, taskID); err != nil {
		return fmt.Errorf("notify task %s: %w", taskID, err)
	}
	return nil
}

// Listen calls fn with the task ID of every Notify, from any
// replica, until ctx is done, and then returns ctx.Err(). It holds one
// connection of its own, outside the pool, and reconnects with backoff when
// that connection fails. Notifications sent while it is disconnected are
// lost, so after each reconnection it calls fn with an empty task ID,
// meaning "look at every task". fn runs on ListenTasks's goroutine, one
// call at a time; it should hand the work off rather than do it.
func (s *Store) Listen(ctx context.Context, fn func(taskID string)) error {
	delay := listenBackoffMin
	for reconnect := false; ; reconnect = true {
		// The cause of a failure is not kept: there is nothing to do about
		// it but retry, and the pool's own queries report lasting trouble.
		if s.listen(ctx, fn, reconnect) {
			delay = listenBackoffMin
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, listenBackoffMax)
	}
}

// listen opens a connection, LISTENs on taskChannel and passes notifications
// to fn until the connection fails or ctx is done. It reports whether it
// got as far as listening.
func (s *Store) listen(ctx context.Context, fn func(string), reconnect bool) (listened bool) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return false
	}
	defer func() {
		// The context may be done; closing needs one of its own.
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+taskChannel); err != nil {
		return false
	}
	if reconnect {
		fn("")
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		if n.Channel == taskChannel {
			fn(n.Payload)
		}
	}
}
