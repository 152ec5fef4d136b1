package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles holds the schema migrations, named NNNN_topic.sql and
// applied in order of NNNN.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaNewer is returned by Open when the database was migrated by a
// newer ackup than this one; running an older binary against it could
// corrupt data the newer one relies on.
var ErrSchemaNewer = errors.New("postgres: database schema is newer than this binary")

// minServerVersion is the oldest PostgreSQL supported, in server_version_num
// form: 12 brought generated columns and the planner behaviour the queries
// assume.
const minServerVersion = 120000

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations across replicas (the ASCII bytes of "ackupmig").
const migrationLockKey int64 = 0x61636b75706d6967

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. The files are
// compiled in, so a malformed name is a programming error caught by tests.
func migrations() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			panic(fmt.Sprintf("postgres: migration %s: name must be NNNN_topic.sql", base))
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms
}

// latestVersion is the schema version this binary migrates to.
func latestVersion() int {
	ms := migrations()
	return ms[len(ms)-1].version
}

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

// migrate brings the schema up to date in one transaction that holds a
// transaction-level advisory lock. Replicas starting at once queue on the
// lock; the first applies the migrations, the others then find them
// recorded and apply nothing. The lock ends with the transaction, so no
// connection can go back to the pool still holding it.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	err := pgx.BeginTxFunc(ctx, pool, opts, func(tx pgx.Tx) error {
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
		current, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if latest := latestVersion(); current > latest {
			return fmt.Errorf("%w: database at version %d, this binary knows up to %d; run a newer ackup",
				ErrSchemaNewer, current, latest)
		}
		for _, m := range migrations() {
			if m.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			if err != nil {
				return fmt.Errorf("record %s: %w", m.name, err)
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrSchemaNewer):
		return err // already says what and where
	case err != nil:
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
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
