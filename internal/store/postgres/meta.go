package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/store"
)

// MetaGet returns the value of a database setting.
func (q queries) MetaGet(ctx context.Context, name string) (string, error) {
	var v string
	if err := q.db.QueryRow(ctx, `SELECT value FROM meta WHERE name = $1`, name).Scan(&v); err != nil {
		return "", fmt.Errorf("get meta %s: %w", name, dbErr(err))
	}
	return v, nil
}

// MetaInsert sets name unless it is already set. ON CONFLICT keeps a
// concurrent insert from aborting the caller's transaction.
func (q queries) MetaInsert(ctx context.Context, name, value string) error {
	tag, err := q.db.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value)
	if err != nil {
		return fmt.Errorf("insert meta %s: %w", name, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("insert meta %s: %w", name, store.ErrConflict)
	}
	return nil
}

// MetaSet sets name, replacing any value.
func (q queries) MetaSet(ctx context.Context, name, value string) error {
	_, err := q.db.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, name, value)
	if err != nil {
		return fmt.Errorf("set meta %s: %w", name, dbErr(err))
	}
	return nil
}

// SealedList returns every sealed value the store keeps.
func (q queries) SealedList(ctx context.Context) ([]store.Sealed, error) {
	rows, err := q.db.Query(ctx, `
		SELECT $1::text, id, secret_enc FROM access_keys WHERE length(secret_enc) > 0
		UNION ALL
		SELECT $2::text, id, executor_config FROM clusters WHERE length(executor_config) > 0
		ORDER BY 1, 2`, string(store.SealedAccessKeySecret), string(store.SealedClusterExecutorConfig))
	if err != nil {
		return nil, fmt.Errorf("list sealed values: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Sealed, error) {
		var s store.Sealed
		err := r.Scan(&s.Kind, &s.ID, &s.Value)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list sealed values: %w", err)
	}
	return list, nil
}

// SealedUpdate replaces one sealed value.
func (q queries) SealedUpdate(ctx context.Context, s store.Sealed) error {
	var query string
	switch s.Kind {
	case store.SealedAccessKeySecret:
		query = `UPDATE access_keys SET secret_enc = $1 WHERE id = $2`
	case store.SealedClusterExecutorConfig:
		query = `UPDATE clusters SET executor_config = $1 WHERE id = $2`
	default:
		return fmt.Errorf("update sealed value: unknown kind %q", s.Kind)
	}
	if err := mustAffect(q.db.Exec(ctx, query, s.Value, s.ID)); err != nil {
		return fmt.Errorf("update sealed %s %s: %w", s.Kind, s.ID, err)
	}
	return nil
}
