package sqlite

import (
	"context"
	"fmt"

	"github.com/ackup/ackup/internal/upgrade"
)

const checkColumns = `id, cluster_id, type, target, options, status, message, items, created, finished`

func checkArgs(c upgrade.Check) ([]any, error) {
	options, err := toJSON(c.Options)
	if err != nil {
		return nil, err
	}
	items, err := toJSON(c.Items)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.ClusterID, c.Type, c.Target, options, c.Status, c.Message, items,
		toNanos(c.Created), toNanos(c.Finished)}, nil
}

func scanCheck(r rowScanner) (upgrade.Check, error) {
	var (
		c                 upgrade.Check
		options, items    string
		created, finished int64
	)
	err := r.Scan(&c.ID, &c.ClusterID, &c.Type, &c.Target, &options, &c.Status, &c.Message, &items,
		&created, &finished)
	if err != nil {
		return upgrade.Check{}, mapErr(err)
	}
	c.Created, c.Finished = fromNanos(created), fromNanos(finished)
	if err := fromJSON(options, &c.Options); err != nil {
		return upgrade.Check{}, err
	}
	if err := fromJSON(items, &c.Items); err != nil {
		return upgrade.Check{}, err
	}
	return c, nil
}

// CheckInsert records a new check run; an existing id is store.ErrConflict.
func (q *queries) CheckInsert(ctx context.Context, c upgrade.Check) error {
	args, err := checkArgs(c)
	if err != nil {
		return fmt.Errorf("insert check %s: %w", c.ID, err)
	}
	_, err = q.writer().ExecContext(ctx, `INSERT INTO checks (`+checkColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("insert check %s: %w", c.ID, mapErr(err))
	}
	return nil
}

// CheckGet returns a check run of the cluster.
func (q *queries) CheckGet(ctx context.Context, clusterID, id string) (upgrade.Check, error) {
	row := q.reader().QueryRowContext(ctx, `SELECT `+checkColumns+` FROM checks
		WHERE cluster_id = ? AND id = ?`, clusterID, id)
	c, err := scanCheck(row)
	if err != nil {
		return upgrade.Check{}, fmt.Errorf("get check %s of cluster %s: %w", id, clusterID, err)
	}
	return c, nil
}

// CheckUpdate writes every field of c.
func (q *queries) CheckUpdate(ctx context.Context, c upgrade.Check) error {
	args, err := checkArgs(c)
	if err != nil {
		return fmt.Errorf("update check %s: %w", c.ID, err)
	}
	err = execOne(ctx, q.writer(), `UPDATE checks SET
		cluster_id = ?2, type = ?3, target = ?4, options = ?5, status = ?6, message = ?7,
		items = ?8, created = ?9, finished = ?10
		WHERE id = ?1`, args...)
	if err != nil {
		return fmt.Errorf("update check %s: %w", c.ID, err)
	}
	return nil
}

// CheckList returns a cluster's check runs of type typ on target, newest
// first; an empty typ or target matches any.
func (q *queries) CheckList(ctx context.Context, clusterID, typ, target string) ([]upgrade.Check, error) {
	rows, err := q.reader().QueryContext(ctx, `SELECT `+checkColumns+` FROM checks
		WHERE cluster_id = ?1 AND (?2 = '' OR type = ?2) AND (?3 = '' OR target = ?3)
		ORDER BY created DESC, id DESC`, clusterID, typ, target)
	list, err := collect(rows, err, scanCheck)
	if err != nil {
		return nil, fmt.Errorf("list checks of cluster %s: %w", clusterID, err)
	}
	return list, nil
}
