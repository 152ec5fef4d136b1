package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// taskColumns are the columns TaskUpdate writes, in taskArgs order; the
// lease columns follow in taskLeaseColumns.
const taskColumns = `id, cluster_id, account_id, type, state, step, stage, target_id, target_type,
	params, plan, stages, error_code, error_message, message, precheck_id, desired,
	created, updated, next_run_at`

const taskLeaseColumns = `lease_owner, lease_until, fence`

// taskArgs lists t's fields in taskColumns order.
func taskArgs(t upgrade.Task) []any {
	return []any{t.ID, t.ClusterID, t.AccountID, string(t.Type), string(t.State), t.Step, t.Stage,
		t.TargetID, t.TargetType, rawJSONArg(t.Params), rawJSONArg(t.Plan), jsonArg{t.Stages},
		t.ErrorCode, t.ErrorMessage, t.Message, t.PrecheckID, t.Desired, t.Created, t.Updated, t.NextRunAt}
}

func scanTask(row scanner) (upgrade.Task, error) {
	var t upgrade.Task
	err := row.Scan(&t.ID, &t.ClusterID, &t.AccountID, &t.Type, &t.State, &t.Step, &t.Stage,
		&t.TargetID, &t.TargetType, &t.Params, &t.Plan, &t.Stages,
		&t.ErrorCode, &t.ErrorMessage, &t.Message, &t.PrecheckID, &t.Desired, &t.Created, &t.Updated, &t.NextRunAt,
		&t.LeaseOwner, &t.LeaseUntil, &t.Fence)
	t.Created, t.Updated, t.NextRunAt, t.LeaseUntil = t.Created.UTC(), t.Updated.UTC(), t.NextRunAt.UTC(), t.LeaseUntil.UTC()
	for i := range t.Stages {
		s := &t.Stages[i]
		s.Start, s.End = s.Start.UTC(), s.End.UTC()
	}
	return t, err
}

func collectTasks(rows pgx.Rows) ([]upgrade.Task, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (upgrade.Task, error) { return scanTask(r) })
}

const selectTask = "SELECT " + taskColumns + ", " + taskLeaseColumns + " FROM tasks "

// TaskInsert records a new task, lease fields included; an existing ID is
// ErrConflict.
func (q queries) TaskInsert(ctx context.Context, t upgrade.Task) error {
	_, err := q.db.Exec(ctx, `INSERT INTO tasks (`+taskColumns+`, `+taskLeaseColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
			$21, $22, $23)`,
		append(taskArgs(t), t.LeaseOwner, t.LeaseUntil, t.Fence)...)
	if err != nil {
		return fmt.Errorf("insert task %s: %w", t.ID, dbErr(err))
	}
	return nil
}

// TaskGet returns the task id of accountID (any account if empty).
func (q queries) TaskGet(ctx context.Context, accountID, id string) (upgrade.Task, error) {
	row := q.db.QueryRow(ctx, selectTask+"WHERE id = $1 AND ($2 = '' OR account_id = $2)", id, accountID)
	t, err := scanTask(row)
	if err != nil {
		return upgrade.Task{}, fmt.Errorf("get task %s: %w", id, dbErr(err))
	}
	return t, nil
}

// TaskUpdate writes every field of t except the lease fields, which belong
// to TaskClaim and TaskRelease.
func (q queries) TaskUpdate(ctx context.Context, t upgrade.Task) error {
	err := mustAffect(q.db.Exec(ctx, `UPDATE tasks SET (`+taskColumns+`)
		= ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		WHERE id = $1`, taskArgs(t)...))
	if err != nil {
		return fmt.Errorf("update task %s: %w", t.ID, err)
	}
	return nil
}

// TaskList returns one page of the cluster's tasks, newest first, and how
// many it has in all. A Limit of 0 means no limit.
func (q queries) TaskList(ctx context.Context, p upgrade.TaskListParams) ([]upgrade.Task, int, error) {
	var total int
	err := q.db.QueryRow(ctx, "SELECT count(*) FROM tasks WHERE cluster_id = $1", p.ClusterID).Scan(&total)
	if err != nil {
		return nil, 0, fmt.Errorf("count tasks of %s: %w", p.ClusterID, err)
	}
	rows, err := q.db.Query(ctx, selectTask+`WHERE cluster_id = $1
		ORDER BY created DESC, id DESC OFFSET $2 LIMIT $3`,
		p.ClusterID, max(p.Offset, 0), limitArg(p.Limit))
	if err != nil {
		return nil, 0, fmt.Errorf("list tasks of %s: %w", p.ClusterID, err)
	}
	ts, err := collectTasks(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("list tasks of %s: %w", p.ClusterID, err)
	}
	return ts, total, nil
}

// TaskActive returns the cluster's running or paused task (the newest, should
// there be several), ErrNotFound if none.
func (q queries) TaskActive(ctx context.Context, clusterID string) (upgrade.Task, error) {
	row := q.db.QueryRow(ctx, selectTask+`WHERE cluster_id = $1 AND state IN ($2, $3)
		ORDER BY created DESC, id DESC LIMIT 1`,
		clusterID, string(upgrade.TaskRunning), string(upgrade.TaskPaused))
	t, err := scanTask(row)
	if err != nil {
		return upgrade.Task{}, fmt.Errorf("active task of %s: %w", clusterID, dbErr(err))
	}
	return t, nil
}

// TaskLatest returns the cluster's newest task of type typ, ErrNotFound if
// none.
func (q queries) TaskLatest(ctx context.Context, clusterID string, typ upgrade.TaskType) (upgrade.Task, error) {
	row := q.db.QueryRow(ctx, selectTask+`WHERE cluster_id = $1 AND type = $2
		ORDER BY created DESC, id DESC LIMIT 1`, clusterID, string(typ))
	t, err := scanTask(row)
	if err != nil {
		return upgrade.Task{}, fmt.Errorf("latest %s task of %s: %w", typ, clusterID, dbErr(err))
	}
	return t, nil
}

// EventAppend appends evs to the task in one statement: it advances the
// task's event counter, which locks the task row until the statement's
// transaction ends, so concurrent appends get consecutive, distinct Seqs.
// Each event's TaskID and Seq are ignored (Time, Owner and Fence are kept as
// given); an unknown task is ErrNotFound.
func (q queries) EventAppend(ctx context.Context, taskID string, evs []upgrade.TaskEvent) error {
	if len(evs) == 0 {
		return nil
	}
	times := make([]time.Time, len(evs))
	fences := make([]int64, len(evs))
	cols := make([][]string, 6)
	for i := range cols {
		cols[i] = make([]string, len(evs))
	}
	for i, e := range evs {
		times[i], fences[i] = e.Time, e.Fence
		cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i], cols[5][i] =
			e.Action, e.Level, e.Reason, e.Message, e.Source, e.Owner
	}
	tag, err := q.db.Exec(ctx, `
		WITH t AS (
			UPDATE tasks SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq - $2 AS base
		)
		INSERT INTO task_events (task_id, seq, time, action, level, reason, message, source, lease_owner, fence)
		SELECT $1, t.base + e.ord, e.time, e.action, e.level, e.reason, e.message, e.source, e.owner, e.fence
		FROM t, unnest($3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
				$9::text[], $10::bigint[])
			WITH ORDINALITY AS e(time, action, level, reason, message, source, owner, fence, ord)`,
		taskID, len(evs), times, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], fences)
	if err != nil {
		return fmt.Errorf("append events to task %s: %w", taskID, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("append events to task %s: %w", taskID, store.ErrNotFound)
	}
	return nil
}

// EventList returns the task's events in Seq order.
func (q queries) EventList(ctx context.Context, taskID string) ([]upgrade.TaskEvent, error) {
	rows, err := q.db.Query(ctx, `SELECT task_id, seq, time, action, level, reason, message, source,
		lease_owner, fence
		FROM task_events WHERE task_id = $1 ORDER BY seq`, taskID)
	if err != nil {
		return nil, fmt.Errorf("list events of task %s: %w", taskID, err)
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (upgrade.TaskEvent, error) {
		var e upgrade.TaskEvent
		err := r.Scan(&e.TaskID, &e.Seq, &e.Time, &e.Action, &e.Level, &e.Reason, &e.Message, &e.Source,
			&e.Owner, &e.Fence)
		e.Time = e.Time.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list events of task %s: %w", taskID, err)
	}
	return evs, nil
}
