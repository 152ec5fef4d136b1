package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ackup/ackup/internal/upgrade"
)

const taskColumns = `id, cluster_id, account_id, type, state, step, stage, target_id, target_type,
	params, plan, stages, error_code, error_message, message, precheck_id, desired,
	created, updated, next_run_at, lease_owner, lease_until, fence`

// taskGetSQL and taskLatestSQL are also prepared on the reader (see
// hotStmts): TaskLatest is the other half of GetUpgradeStatus.
const (
	taskGetSQL = `SELECT ` + taskColumns + ` FROM tasks
		WHERE id = ? AND (? = '' OR account_id = ?)`
	taskLatestSQL = `SELECT ` + taskColumns + ` FROM tasks
		WHERE cluster_id = ? AND type = ? ORDER BY created DESC, id DESC LIMIT 1`
	taskActiveSQL = `SELECT ` + taskColumns + ` FROM tasks
		WHERE cluster_id = ? AND state IN ('running', 'paused')
		ORDER BY created DESC, id DESC LIMIT 1`
)

// taskArgs returns t's columns in taskColumns order.
func taskArgs(t upgrade.Task) ([]any, error) {
	stages, err := toJSON(utcStages(t.Stages))
	if err != nil {
		return nil, err
	}
	return []any{t.ID, t.ClusterID, t.AccountID, string(t.Type), string(t.State), t.Step, t.Stage,
		t.TargetID, t.TargetType, rawText(t.Params), rawText(t.Plan), stages, t.ErrorCode,
		t.ErrorMessage, t.Message, t.PrecheckID, t.Desired, toNanos(t.Created), toNanos(t.Updated),
		toNanos(t.NextRunAt), t.LeaseOwner, toNanos(t.LeaseUntil), t.Fence}, nil
}

func scanTask(r rowScanner) (upgrade.Task, error) {
	var (
		t                                  upgrade.Task
		params, plan                       sql.NullString
		stages                             string
		created, updated, next, leaseUntil int64
	)
	err := r.Scan(&t.ID, &t.ClusterID, &t.AccountID, &t.Type, &t.State, &t.Step, &t.Stage,
		&t.TargetID, &t.TargetType, &params, &plan, &stages, &t.ErrorCode,
		&t.ErrorMessage, &t.Message, &t.PrecheckID, &t.Desired, &created, &updated,
		&next, &t.LeaseOwner, &leaseUntil, &t.Fence)
	if err != nil {
		return upgrade.Task{}, mapErr(err)
	}
	t.Params, t.Plan = fromRawText(params), fromRawText(plan)
	t.Created, t.Updated = fromNanos(created), fromNanos(updated)
	t.NextRunAt, t.LeaseUntil = fromNanos(next), fromNanos(leaseUntil)
	if err := fromJSON(stages, &t.Stages); err != nil {
		return upgrade.Task{}, err
	}
	return t, nil
}

// TaskInsert records a new task with every field as given, lease included;
// an existing id is store.ErrConflict.
func (q *queries) TaskInsert(ctx context.Context, t upgrade.Task) error {
	args, err := taskArgs(t)
	if err != nil {
		return fmt.Errorf("insert task %s: %w", t.ID, err)
	}
	_, err = q.writer().ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("insert task %s: %w", t.ID, mapErr(err))
	}
	return nil
}

// TaskGet returns a task of accountID (any account if empty).
func (q *queries) TaskGet(ctx context.Context, accountID, id string) (upgrade.Task, error) {
	row := q.hotRow(ctx, q.db.hot.taskGet, taskGetSQL, id, accountID, accountID)
	t, err := scanTask(row)
	if err != nil {
		return upgrade.Task{}, fmt.Errorf("get task %s: %w", id, err)
	}
	return t, nil
}

// TaskUpdate writes every field of t except the lease fields, which only
// the lease methods change.
func (q *queries) TaskUpdate(ctx context.Context, t upgrade.Task) error {
	args, err := taskArgs(t)
	if err != nil {
		return fmt.Errorf("update task %s: %w", t.ID, err)
	}
	err = execOne(ctx, q.writer(), `UPDATE tasks SET
		cluster_id = ?2, account_id = ?3, type = ?4, state = ?5, step = ?6, stage = ?7,
		target_id = ?8, target_type = ?9, params = ?10, plan = ?11, stages = ?12,
		error_code = ?13, error_message = ?14, message = ?15, precheck_id = ?16, desired = ?17,
		created = ?18, updated = ?19, next_run_at = ?20
		WHERE id = ?1`, args[:20]...)
	if err != nil {
		return fmt.Errorf("update task %s: %w", t.ID, err)
	}
	return nil
}

// TaskList returns one page of a cluster's tasks, newest first, and their
// number. An empty ClusterID lists every cluster's tasks.
func (q *queries) TaskList(ctx context.Context, p upgrade.TaskListParams) ([]upgrade.Task, int, error) {
	var (
		list  []upgrade.Task
		total int
	)
	// Spelled out rather than "(? = '' OR cluster_id = ?)", which would
	// keep SQLite from using the index.
	cond, args := "", []any{}
	if p.ClusterID != "" {
		cond, args = ` WHERE cluster_id = ?`, append(args, p.ClusterID)
	}
	err := q.readTx(ctx, func(db dbtx) error {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks`+cond, args...).Scan(&total); err != nil {
			return err
		}
		limit, offset := page(p.Offset, p.Limit)
		rows, err := db.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks`+cond+
			` ORDER BY created DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
		list, err = collect(rows, err, scanTask)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list tasks of cluster %s: %w", p.ClusterID, err)
	}
	return list, total, nil
}

// TaskActive returns the cluster's running or paused task.
func (q *queries) TaskActive(ctx context.Context, clusterID string) (upgrade.Task, error) {
	row := q.reader().QueryRowContext(ctx, taskActiveSQL, clusterID)
	t, err := scanTask(row)
	if err != nil {
		return upgrade.Task{}, fmt.Errorf("get active task of cluster %s: %w", clusterID, err)
	}
	return t, nil
}

// TaskLatest returns the cluster's newest task of type typ.
func (q *queries) TaskLatest(ctx context.Context, clusterID string, typ upgrade.TaskType) (upgrade.Task, error) {
	row := q.hotRow(ctx, q.db.hot.taskLatest, taskLatestSQL, clusterID, string(typ))
	t, err := scanTask(row)
	if err != nil {
		return upgrade.Task{}, fmt.Errorf("get latest %s task of cluster %s: %w", typ, clusterID, err)
	}
	return t, nil
}

// EventAppend appends events to a task, numbering them after the task's
// last event; each event's Time, Owner and Fence are kept as given.
func (q *queries) EventAppend(ctx context.Context, taskID string, evs []upgrade.TaskEvent) error {
	if len(evs) == 0 {
		return nil
	}
	err := q.writeTx(ctx, func(db dbtx) error {
		var last int64
		err := db.QueryRowContext(ctx,
			`SELECT COALESCE(MAX(seq), 0) FROM task_events WHERE task_id = ?`, taskID).Scan(&last)
		if err != nil {
			return err
		}
		for i, ev := range evs {
			_, err := db.ExecContext(ctx, `INSERT INTO task_events
				(task_id, seq, time, action, level, reason, message, source, lease_owner, fence)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				taskID, last+int64(i)+1, toNanos(ev.Time), ev.Action, ev.Level, ev.Reason, ev.Message, ev.Source,
				ev.Owner, ev.Fence)
			if err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append events to task %s: %w", taskID, err)
	}
	return nil
}

// EventList returns a task's events in Seq order.
func (q *queries) EventList(ctx context.Context, taskID string) ([]upgrade.TaskEvent, error) {
	rows, err := q.reader().QueryContext(ctx, `SELECT task_id, seq, time, action, level, reason, message, source,
		lease_owner, fence
		FROM task_events WHERE task_id = ? ORDER BY seq`, taskID)
	evs, err := collect(rows, err, func(r rowScanner) (upgrade.TaskEvent, error) {
		var (
			ev upgrade.TaskEvent
			at int64
		)
		err := r.Scan(&ev.TaskID, &ev.Seq, &at, &ev.Action, &ev.Level, &ev.Reason, &ev.Message, &ev.Source,
			&ev.Owner, &ev.Fence)
		ev.Time = fromNanos(at)
		return ev, err
	})
	if err != nil {
		return nil, fmt.Errorf("list events of task %s: %w", taskID, err)
	}
	return evs, nil
}
