package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// Leases. A task is held by LeaseOwner while LeaseUntil is after the time
// the caller gives; at LeaseUntil or later the lease has expired and any
// engine instance may claim the task.

// claimSQL picks and leases the due tasks in one statement, so that two
// claimers can never both take a task: SQLite runs one writer at a time and
// a statement is atomic. The SET expressions see the row as it was, so the
// fence moves only when the owner changes.
const claimSQL = `UPDATE tasks SET
		fence = fence + (lease_owner <> ?1),
		lease_owner = ?1,
		lease_until = ?3
	WHERE id IN (
		SELECT id FROM tasks
		WHERE state IN ('running', 'paused') AND next_run_at <= ?2
			AND (lease_owner = '' OR lease_until <= ?2 OR lease_owner = ?1)
		ORDER BY next_run_at, id
		LIMIT ?4)
	RETURNING id, fence`

// nextDueSQL finds the earliest NextRunAt of the active tasks.
const nextDueSQL = `SELECT MIN(next_run_at) FROM tasks WHERE state IN ('running', 'paused')`

// TaskClaim leases up to p.Limit due tasks (any number if p.Limit is 0 or
// less) to p.Owner, earliest NextRunAt first.
func (q *queries) TaskClaim(ctx context.Context, p store.ClaimParams) ([]store.Claim, error) {
	if p.Owner == "" || p.Lease <= 0 {
		return nil, fmt.Errorf("claim tasks: need an owner and a positive lease, got %q and %v", p.Owner, p.Lease)
	}
	limit, _ := page(0, p.Limit)
	now := toNanos(p.Now)
	rows, err := q.writer().QueryContext(ctx, claimSQL, p.Owner, now, now+int64(p.Lease), limit)
	claims, err := collect(rows, err, func(r rowScanner) (store.Claim, error) {
		var c store.Claim
		err := r.Scan(&c.TaskID, &c.Fence)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim tasks for %s: %w", p.Owner, err)
	}
	return claims, nil
}

// TaskFenceCheck returns store.ErrFenced unless owner holds the task's lease
// at now with token fence. Inside a transaction the writer connection holds
// SQLite's write lock from BEGIN IMMEDIATE to commit, so the lease cannot
// change under the caller's writes.
func (q *queries) TaskFenceCheck(ctx context.Context, taskID, owner string, fence int64, now time.Time) error {
	var (
		holder string
		until  int64
		token  int64
	)
	err := q.reader().QueryRowContext(ctx,
		`SELECT lease_owner, lease_until, fence FROM tasks WHERE id = ?`, taskID).Scan(&holder, &until, &token)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("fence check task %s: no such task: %w", taskID, store.ErrFenced)
	case err != nil:
		return fmt.Errorf("fence check task %s: %w", taskID, err)
	case holder != owner:
		return fmt.Errorf("fence check task %s: held by %q, not %q: %w", taskID, holder, owner, store.ErrFenced)
	case token != fence:
		return fmt.Errorf("fence check task %s: token %d is stale, now %d: %w", taskID, fence, token, store.ErrFenced)
	case until <= toNanos(now):
		return fmt.Errorf("fence check task %s: lease expired at %v: %w", taskID, fromNanos(until), store.ErrFenced)
	}
	return nil
}

// TaskRelease gives up owner's lease on a task so another instance can
// claim it at once; it does nothing if owner does not hold the lease.
func (q *queries) TaskRelease(ctx context.Context, taskID, owner string) error {
	_, err := q.writer().ExecContext(ctx,
		`UPDATE tasks SET lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ?`, taskID, owner)
	if err != nil {
		return fmt.Errorf("release task %s: %w", taskID, err)
	}
	return nil
}

// TaskNextDue returns the earliest NextRunAt of the running and paused
// tasks, leased or not; ok is false when there are none.
func (q *queries) TaskNextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := q.reader().QueryRowContext(ctx, nextDueSQL).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due task: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(next.Int64), true, nil
}
