package sqlite

import (
	"context"
	"fmt"

	"github.com/ackup/ackup/internal/store"
)

// MetaGet returns the value of a database setting.
func (q *queries) MetaGet(ctx context.Context, name string) (string, error) {
	var v string
	err := q.reader().QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("get meta %s: %w", name, mapErr(err))
	}
	return v, nil
}

// MetaInsert sets name unless it is already set.
func (q *queries) MetaInsert(ctx context.Context, name, value string) error {
	if _, err := q.writer().ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)`, name, value); err != nil {
		return fmt.Errorf("insert meta %s: %w", name, mapErr(err))
	}
	return nil
}

// MetaSet sets name, replacing any value.
func (q *queries) MetaSet(ctx context.Context, name, value string) error {
	_, err := q.writer().ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("set meta %s: %w", name, mapErr(err))
	}
	return nil
}

// SealedList returns every sealed value the store keeps.
func (q *queries) SealedList(ctx context.Context) ([]store.Sealed, error) {
	rows, err := q.reader().QueryContext(ctx, `
		SELECT ?, id, secret_enc FROM access_keys WHERE length(secret_enc) > 0
		UNION ALL
		SELECT ?, id, executor_config FROM clusters WHERE length(executor_config) > 0
		ORDER BY 1, 2`, string(store.SealedAccessKeySecret), string(store.SealedClusterExecutorConfig))
	list, err := collect(rows, err, func(r rowScanner) (store.Sealed, error) {
		var s store.Sealed
		err := r.Scan(&s.Kind, &s.ID, &s.Value)
		return s, mapErr(err)
	})
	if err != nil {
		return nil, fmt.Errorf("list sealed values: %w", err)
	}
	return list, nil
}

// SealedUpdate replaces one sealed value.
func (q *queries) SealedUpdate(ctx context.Context, s store.Sealed) error {
	var query string
	switch s.Kind {
	case store.SealedAccessKeySecret:
		query = `UPDATE access_keys SET secret_enc = ? WHERE id = ?`
	case store.SealedClusterExecutorConfig:
		query = `UPDATE clusters SET executor_config = ? WHERE id = ?`
	default:
		return fmt.Errorf("update sealed value: unknown kind %q", s.Kind)
	}
	res, err := q.writer().ExecContext(ctx, query, s.Value, s.ID)
	if err != nil {
		return fmt.Errorf("update sealed %s %s: %w", s.Kind, s.ID, mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("update sealed %s %s: %w", s.Kind, s.ID, store.ErrNotFound)
	}
	return nil
}
