package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Schema migrations. Each driver embeds its own SQL files, named
// NNNN_topic.sql and numbered 1, 2, 3, ... without gaps; the one runner
// below applies them, each in a transaction of its own, through the few
// steps a driver supplies (Migrator). Every driver therefore refuses a newer
// schema, records what it applied and serialises concurrent openers the
// same way, and storetest.RunMigrations checks it once for all of them.

// ErrSchemaNewer is returned by a driver's Open when a newer ackup has
// migrated the database past the schema this binary knows: running on it
// could corrupt data the newer schema relies on.
var ErrSchemaNewer = errors.New("store: database schema is newer than this binary")

// Migration is one schema change.
type Migration struct {
	Version int    // NNNN of the file name
	Name    string // the file name without directory and .sql: "0001_init"
	SQL     string
}

// LoadMigrations reads the files dir/*.sql of fsys in version order and
// checks that they are numbered 1, 2, 3, ... without gaps.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	ms := make([]Migration, 0, len(names))
	for i, name := range names { // fs.Glob returns names sorted
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 || v != i+1 {
			return nil, fmt.Errorf("migration %s: want the name %04d_topic.sql (numbered from 1 without gaps)", name, i+1)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(text)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return ms, nil
}

// MustLoadMigrations is LoadMigrations for files compiled into the binary,
// where a mistake is a build defect: it panics.
func MustLoadMigrations(fsys fs.FS, dir string) []Migration {
	ms, err := LoadMigrations(fsys, dir)
	if err != nil {
		panic(err)
	}
	return ms
}

// Migrator is what a driver supplies to Migrate.
type Migrator interface {
	// MigrateTx runs fn in one transaction that no other MigrateTx on the
	// same database, in any process, runs concurrently with (an advisory
	// lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), after creating the
	// version table if it does not exist. It commits if fn returns nil.
	MigrateTx(ctx context.Context, fn func(MigrationTx) error) error
}

// MigrationTx is the version table and the schema inside MigrateTx.
type MigrationTx interface {
	// Versions returns the versions recorded as applied, ascending.
	Versions(ctx context.Context) ([]int, error)
	// Apply runs m.SQL and records m as applied.
	Apply(ctx context.Context, m Migration) error
}

// Migrate applies, in order and each in a transaction of its own, every
// migration of ms that the database lacks. It refuses, with an error
// wrapping ErrSchemaNewer, a database with a version beyond ms, and one
// whose recorded versions have a gap. Concurrent Migrates of one database
// apply each migration once: each transaction re-reads the versions under
// the driver's lock.
func Migrate(ctx context.Context, d Migrator, ms []Migration) error {
	for {
		done := false
		err := d.MigrateTx(ctx, func(tx MigrationTx) error {
			applied, err := tx.Versions(ctx)
			if err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if err := checkVersions(applied, ms); err != nil {
				return err
			}
			if len(applied) == len(ms) {
				done = true
				return nil
			}
			m := ms[len(applied)]
			if err := tx.Apply(ctx, m); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// checkVersions refuses recorded versions that are not 1, 2, ..., k with k
// at most the newest of ms.
func checkVersions(applied []int, ms []Migration) error {
	latest := ms[len(ms)-1].Version
	for i, v := range applied {
		if v > latest {
			return fmt.Errorf("%w: the database is at schema version %d, this binary knows up to %d; run a newer ackup",
				ErrSchemaNewer, applied[len(applied)-1], latest)
		}
		if v != i+1 {
			return fmt.Errorf("the database records schema versions %v, which are not consecutive from 1", applied)
		}
	}
	return nil
}

// CheckSchema reports an error unless the newest applied version, as a
// driver's Ping reads it, is the newest of ms.
func CheckSchema(newest int, ms []Migration) error {
	if want := ms[len(ms)-1].Version; newest != want {
		return fmt.Errorf("schema at version %d, want %d", newest, want)
	}
	return nil
}
