package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew is returned by Open for a database that a newer ackup has
// migrated past the schema this binary knows: running on it could corrupt
// data the newer schema relies on.
var ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this binary")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the embedded list, in version order.
var migrations = mustLoadMigrations(migrationFiles)

// mustLoadMigrations reads the embedded migrations and checks that they are
// numbered 1, 2, 3, ... without gaps; a mistake there is a build defect.
func mustLoadMigrations(fsys fs.FS) []migration {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []migration
	for i, name := range names { // fs.Glob returns names sorted
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			panic(fmt.Sprintf("sqlite: migration %s: want name %04d_description.sql", name, i+1))
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: label, sql: string(text)})
	}
	return out
}

// latestVersion is the schema version this binary brings a database to.
func latestVersion() int { return len(migrations) }

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// migrate applies, each in its own transaction, every migration the
// database lacks. The writer's transactions begin IMMEDIATE, so two
// processes opening one file at once apply each migration once.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		err := applyMigration(ctx, db, m)
		if errors.Is(err, ErrSchemaTooNew) {
			return err
		}
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // no-op after Commit
	// Checked inside the transaction, so the answer holds until commit.
	newest, err := newestVersion(ctx, tx)
	if err != nil {
		return err
	}
	if newest > latestVersion() {
		return fmt.Errorf("%w: the database is at schema version %d, this binary knows up to %d; run a newer ackup",
			ErrSchemaTooNew, newest, latestVersion())
	}
	var applied bool
	err = tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.version).Scan(&applied)
	if err != nil || applied {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixNano())
	if err != nil {
		return err
	}
	return tx.Commit()
}

func newestVersion(ctx context.Context, db dbtx) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// checkMigrated reports an error unless the database is at exactly the
// schema version this binary knows.
func checkMigrated(ctx context.Context, db dbtx) error {
	v, err := newestVersion(ctx, db)
	if err != nil {
		return err
	}
	if v != latestVersion() {
		return fmt.Errorf("schema version %d, want %d", v, latestVersion())
	}
	return nil
}
