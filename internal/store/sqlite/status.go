package sqlite

import (
	"context"
	"fmt"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// taskStatusLatestSQL is GetUpgradeStatus's whole read: the cluster row
// decides found or not (as clusterGetSQL does), and the newest task of the
// type is found through the tasks_cluster_type_created index, joined by
// primary key, reading only the columns the status renders. Outside a
// transaction it runs on the statusReader's connections.
const taskStatusLatestSQL = `SELECT COALESCE(t.id, ''), COALESCE(t.state, ''), COALESCE(t.step, ''),
	COALESCE(t.message, ''), COALESCE(t.error_message, ''), COALESCE(t.precheck_id, '')
	FROM clusters c LEFT JOIN tasks t ON t.id = (
		SELECT id FROM tasks WHERE cluster_id = c.id AND type = ?3 ORDER BY created DESC, id DESC LIMIT 1)
	WHERE c.id = ?1 AND c.state <> 'deleted' AND (?2 = '' OR c.account_id = ?2)`

// TaskStatusLatest returns the newest task of type typ of a live cluster,
// with only the fields GetUpgradeStatus renders, in one statement.
func (q *queries) TaskStatusLatest(ctx context.Context, accountID, clusterID string, typ upgrade.TaskType) (upgrade.Task, bool, error) {
	var (
		t     upgrade.Task
		found bool
		err   error
	)
	if q.tx == nil {
		t, found, err = q.db.status.read(ctx, accountID, clusterID, typ)
	} else {
		err = q.tx.QueryRowContext(ctx, taskStatusLatestSQL, clusterID, accountID, string(typ)).
			Scan(&t.ID, &t.State, &t.Step, &t.Message, &t.ErrorMessage, &t.PrecheckID)
		if err = mapErr(err); err == nil && t.ID != "" {
			t.ClusterID, t.Type, found = clusterID, typ, true
		} else if err == nil {
			t = upgrade.Task{}
		}
	}
	if err != nil {
		return upgrade.Task{}, false, fmt.Errorf("get latest %s task of cluster %s: %w", typ, clusterID, err)
	}
	return t, found, nil
}

// TaskCountByState counts the tasks by type and state. It reads the whole
// tasks table (SQLite counts a few tens of thousands of rows in
// milliseconds); it runs when metrics are scraped, not per request.
func (q *queries) TaskCountByState(ctx context.Context) ([]store.TaskCount, error) {
	rows, err := q.reader().QueryContext(ctx, `SELECT type, state, COUNT(*) FROM tasks GROUP BY type, state ORDER BY type, state`)
	counts, err := collect(rows, err, func(r rowScanner) (store.TaskCount, error) {
		var c store.TaskCount
		err := r.Scan(&c.Type, &c.State, &c.N)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count tasks by state: %w", err)
	}
	return counts, nil
}
