package postgres

import (
	"context"
	"embed"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ackup/ackup/internal/store"
)

// migrationFiles holds the schema migrations, applied by store.Migrate.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations, read once.
var migrations = store.MustLoadMigrations(migrationFiles, "migrations")

// minServerVersion is the oldest PostgreSQL supported, in server_version_num
// form: 12 brought generated columns and the planner behaviour the queries
// assume.
const minServerVersion = 120000

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations across replicas (the ASCII bytes of "ackupmig").
const migrationLockKey int64 = 0x61636b75706d6967

// checkServer refuses servers older than PostgreSQL 12.
func checkServer(ctx context.Context, pool *pgxpool.Pool) error {
	var num, version string
	err := pool.QueryRow(ctx,
		"SELECT current_setting('server_version_num'), current_setting('server_version')").Scan(&num, &version)
	if err != nil {
		return fmt.Errorf("postgres: read server version: %w", err)
	}
	return checkServerVersion(num, version)
}

// checkServerVersion checks a server_version_num against minServerVersion;
// version is the human-readable server_version for the message.
func checkServerVersion(num, version string) error {
	n, err := strconv.Atoi(num)
	if err != nil {
		return fmt.Errorf("postgres: unreadable server version %q (%q)", version, num)
	}
	if n < minServerVersion {
		return fmt.Errorf("postgres: server is PostgreSQL %s; ackup needs PostgreSQL 12 or newer", version)
	}
	return nil
}

// migrate brings the schema up to date with store.Migrate.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	if err := store.Migrate(ctx, migrator{pool}, migrations); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// migrator is store.Migrator on a pool: each transaction holds a
// transaction-level advisory lock, so replicas starting at once queue on
// it and each migration is applied once. The lock ends with the
// transaction, so no connection can go back to the pool still holding it.
type migrator struct{ pool *pgxpool.Pool }

func (m migrator) MigrateTx(ctx context.Context, fn func(store.MigrationTx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	return pgx.BeginTxFunc(ctx, m.pool, opts, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		// Statements after the lock see what an earlier holder committed:
		// under READ COMMITTED each one takes a fresh snapshot.
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)
		if err != nil {
			return fmt.Errorf("create schema_migrations (does the search_path schema exist?): %w", err)
		}
		return fn(migrationTx{tx})
	})
}

// migrationTx is store.MigrationTx on one transaction.
type migrationTx struct{ tx pgx.Tx }

func (m migrationTx) Versions(ctx context.Context) ([]int, error) {
	rows, err := m.tx.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

func (m migrationTx) Apply(ctx context.Context, mig store.Migration) error {
	if _, err := m.tx.Exec(ctx, mig.SQL); err != nil {
		return err
	}
	_, err := m.tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", mig.Version, mig.Name)
	return err
}

// schemaVersion returns the highest applied migration, 0 if none.
func schemaVersion(ctx context.Context, db dbtx) (int, error) {
	var v int
	err := db.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
