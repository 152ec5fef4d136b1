package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations, read once.
var migrations = store.MustLoadMigrations(migrationFiles, "migrations")

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// migrator is store.Migrator on the writer pool, whose transactions begin
// IMMEDIATE: two processes opening one file at once queue on SQLite's
// write lock, and each migration is applied once.
type migrator struct{ db *sql.DB }

func (m migrator) MigrateTx(ctx context.Context, fn func(store.MigrationTx) error) error {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // no-op after Commit
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if err := fn(migrationTx{tx}); err != nil {
		return err
	}
	return tx.Commit()
}

// migrationTx is store.MigrationTx on one transaction.
type migrationTx struct{ tx *sql.Tx }

func (m migrationTx) Versions(ctx context.Context) ([]int, error) {
	rows, err := m.tx.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

func (m migrationTx) Apply(ctx context.Context, mig store.Migration) error {
	if _, err := m.tx.ExecContext(ctx, mig.SQL); err != nil {
		return err
	}
	_, err := m.tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		mig.Version, mig.Name, time.Now().UnixNano())
	return err
}

// checkMigrated reports an error unless the database is at exactly the
// schema version this binary knows.
func checkMigrated(ctx context.Context, db dbtx) error {
	var v int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	return store.CheckSchema(v, migrations)
}
