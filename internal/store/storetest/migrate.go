package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// MigrationHarness lets the migration suite open one database more than
// once, and reach the driver's store.Migrator beside its Store.
type MigrationHarness struct {
	// New returns the address (a file path, a URL) of a new, empty
	// database that lives until the test's cleanup.
	New func(t *testing.T) string
	// Open opens and migrates a store on the database at addr, as the
	// driver's Open does.
	Open func(ctx context.Context, addr string) (store.Store, error)
	// Migrator returns the driver's store.Migrator on the database at
	// addr, released at the test's cleanup.
	Migrator func(t *testing.T, addr string) store.Migrator
	// Migrations are the driver's embedded migrations.
	Migrations []store.Migration
}

// RunMigrations checks how a driver's Open migrates through store.Migrate:
// each migration is applied once however many processes open a database
// at once, data survives a reopen, a schema newer than the binary is
// refused, and a migration that fails leaves the schema as it was.
func RunMigrations(t *testing.T, h MigrationHarness) {
	t.Run("AppliedOnceUnderConcurrency", func(t *testing.T) { testMigrateConcurrent(t, h) })
	t.Run("DataKeptAcrossReopen", func(t *testing.T) { testMigrateReopen(t, h) })
	t.Run("NewerSchemaRefused", func(t *testing.T) { testMigrateNewer(t, h) })
	t.Run("FailedMigrationRolledBack", func(t *testing.T) { testMigrateFailed(t, h) })
}

// openAt opens a store at addr, closed at cleanup.
func openAt(t *testing.T, h MigrationHarness, addr string) store.Store {
	t.Helper()
	s, err := h.Open(t.Context(), addr)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// versions reads the versions recorded as applied at addr.
func versions(t *testing.T, h MigrationHarness, addr string) []int {
	t.Helper()
	var vs []int
	err := h.Migrator(t, addr).MigrateTx(t.Context(), func(tx store.MigrationTx) error {
		var err error
		vs, err = tx.Versions(t.Context())
		return err
	})
	ok(t, err)
	return vs
}

// allVersions is 1, 2, ..., the newest of h.Migrations.
func allVersions(h MigrationHarness) []int {
	var vs []int
	for _, m := range h.Migrations {
		vs = append(vs, m.Version)
	}
	return vs
}

func testMigrateConcurrent(t *testing.T, h MigrationHarness) {
	addr := h.New(t)
	const openers = 5
	var wg sync.WaitGroup
	errs := make([]error, openers)
	for i := range openers {
		wg.Go(func() {
			s, err := h.Open(t.Context(), addr)
			if err == nil {
				err = s.Ping(t.Context())
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("opener %d: %v", i, err)
		}
	}
	if got, want := versions(t, h, addr), allVersions(h); !slices.Equal(got, want) {
		t.Errorf("versions recorded after %d concurrent opens: %v, want %v once each", openers, got, want)
	}
}

func testMigrateReopen(t *testing.T, h MigrationHarness) {
	addr := h.New(t)
	s, err := h.Open(t.Context(), addr)
	ok(t, err)
	c := newCluster("acct-1", "kept")
	task := newTask(c, upgrade.TaskClusterUpgrade, upgrade.TaskRunning, at(0))
	ok(t, s.InTx(t.Context(), func(q store.Querier) error {
		if err := q.ClusterInsert(t.Context(), c); err != nil {
			return err
		}
		if err := q.TaskInsert(t.Context(), task); err != nil {
			return err
		}
		return q.EventAppend(t.Context(), task.ID, []upgrade.TaskEvent{{Time: at(time.Second), Reason: "Start"}})
	}))
	ok(t, s.Close())

	s = openAt(t, h, addr)
	ok(t, s.Ping(t.Context()))
	got, err := s.ClusterGet(t.Context(), "acct-1", c.ID)
	ok(t, err)
	if got.Name != "kept" || len(got.Tags) != len(c.Tags) {
		t.Errorf("cluster after reopen: %+v", got)
	}
	evs, err := s.EventList(t.Context(), task.ID)
	if err != nil || len(evs) != 1 || evs[0].Seq != 1 {
		t.Errorf("events after reopen: %+v, %v", evs, err)
	}
	if got, want := versions(t, h, addr), allVersions(h); !slices.Equal(got, want) {
		t.Errorf("versions recorded after a reopen: %v, want %v", got, want)
	}
}

// future is a migration from a binary newer than the driver's.
func future(h MigrationHarness, sql string) []store.Migration {
	v := len(h.Migrations) + 1
	return append(slices.Clip(h.Migrations), store.Migration{Version: v, Name: fmt.Sprintf("%04d_future", v), SQL: sql})
}

func testMigrateNewer(t *testing.T, h MigrationHarness) {
	addr := h.New(t)
	s := openAt(t, h, addr)
	ok(t, store.Migrate(t.Context(), h.Migrator(t, addr), future(h, "CREATE TABLE ackup_future (x integer)")))
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping on a database migrated past this binary: got nil error")
	}
	s2, err := h.Open(t.Context(), addr)
	if err == nil {
		s2.Close()
	}
	if !errors.Is(err, store.ErrSchemaNewer) {
		t.Fatalf("Open on a newer schema: got %v, want ErrSchemaNewer", err)
	}
}

func testMigrateFailed(t *testing.T, h MigrationHarness) {
	addr := h.New(t)
	openAt(t, h, addr).Close()
	// The first statement works, the second cannot: the migration's
	// transaction must take the first back too.
	bad := future(h, "CREATE TABLE ackup_half (x integer); SELECT * FROM ackup_no_such_table")
	if err := store.Migrate(t.Context(), h.Migrator(t, addr), bad); err == nil {
		t.Fatal("Migrate with a failing migration: got nil error")
	}
	if got, want := versions(t, h, addr), allVersions(h); !slices.Equal(got, want) {
		t.Errorf("versions after a failed migration: %v, want %v", got, want)
	}
	// Had the half-applied table stayed, applying the migration's first
	// statement again would fail.
	ok(t, store.Migrate(t.Context(), h.Migrator(t, addr), future(h, "CREATE TABLE ackup_half (x integer)")))
}
