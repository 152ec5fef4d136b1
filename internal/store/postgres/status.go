package postgres

import (
	"context"
	"fmt"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// TaskStatusLatest returns the newest task of type typ of a live cluster,
// with only the fields GetUpgradeStatus renders, in one round trip: the
// cluster row decides found or not (as in ClusterGet), and the lateral
// subquery walks the tasks (cluster_id, type, created, id) index backwards.
func (q queries) TaskStatusLatest(ctx context.Context, accountID, clusterID string, typ upgrade.TaskType) (upgrade.Task, bool, error) {
	var t upgrade.Task
	err := q.db.QueryRow(ctx, `SELECT COALESCE(t.id, ''), COALESCE(t.state, ''), COALESCE(t.step, ''),
		COALESCE(t.message, ''), COALESCE(t.error_message, ''), COALESCE(t.precheck_id, '')
		FROM clusters c LEFT JOIN LATERAL (
			SELECT id, state, step, message, error_message, precheck_id FROM tasks
			WHERE cluster_id = c.id AND type = $3 ORDER BY created DESC, id DESC LIMIT 1) t ON true
		WHERE c.id = $1 AND ($2 = '' OR c.account_id = $2) AND c.state <> 'deleted'`,
		clusterID, accountID, string(typ)).Scan(&t.ID, &t.State, &t.Step, &t.Message, &t.ErrorMessage, &t.PrecheckID)
	if err != nil {
		return upgrade.Task{}, false, fmt.Errorf("latest %s task of %s: %w", typ, clusterID, dbErr(err))
	}
	if t.ID == "" {
		return upgrade.Task{}, false, nil
	}
	t.ClusterID, t.Type = clusterID, typ
	return t, true, nil
}

// TaskCountByState counts the tasks by type and state; it runs when metrics
// are scraped, not per request.
func (q queries) TaskCountByState(ctx context.Context) ([]store.TaskCount, error) {
	rows, err := q.db.Query(ctx, `SELECT type, state, COUNT(*) FROM tasks GROUP BY type, state ORDER BY type, state`)
	if err != nil {
		return nil, fmt.Errorf("count tasks by state: %w", dbErr(err))
	}
	defer rows.Close()
	var counts []store.TaskCount
	for rows.Next() {
		var c store.TaskCount
		if err := rows.Scan(&c.Type, &c.State, &c.N); err != nil {
			return nil, fmt.Errorf("count tasks by state: %w", err)
		}
		counts = append(counts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count tasks by state: %w", dbErr(err))
	}
	return counts, nil
}
