package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/store/storetest"
	"github.com/ackup/ackup/internal/upgrade"
)

// openTemp opens a store on a new file in a temporary directory.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

// rawDB opens the file directly, as a tool outside ackup would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	storetest.RunMigrations(t, storetest.MigrationHarness{
		New: func(t *testing.T) string { return filepath.Join(t.TempDir(), "ackup.db") },
		Open: func(ctx context.Context, path string) (store.Store, error) {
			return sqlite.Open(ctx, path)
		},
		Migrator:   sqlite.OpenMigrator,
		Migrations: sqlite.Migrations,
	})
}

func TestJournalModeWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ackup.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal mode %q, want wal", mode)
	}
}

func TestReadsDoNotWaitForWrites(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c := upgrade.Cluster{ID: upgrade.NewClusterID(), AccountID: "acct-1", State: upgrade.ClusterRunning}
	if err := s.ClusterInsert(ctx, c); err != nil {
		t.Fatal(err)
	}
	// Hold the write transaction open while reading outside it: with one
	// writer connection, a read that went to the writer would block until
	// the context expired.
	err := s.InTx(ctx, func(q store.Querier) error {
		c.Name = "renamed"
		if err := q.ClusterUpdate(ctx, c); err != nil {
			return err
		}
		got, err := s.ClusterGet(ctx, "", c.ID)
		if err != nil {
			return err
		}
		if got.Name != "" {
			t.Errorf("read outside the transaction saw its uncommitted write %q", got.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTimesKeepNanoseconds(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	created := time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("UTC-5", -5*60*60))
	c := upgrade.Cluster{ID: upgrade.NewClusterID(), AccountID: "acct-1", State: upgrade.ClusterRunning, Created: created}
	if err := s.ClusterInsert(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClusterGet(ctx, "", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(created) || got.Created.Location() != time.UTC {
		t.Errorf("created came back as %v, want %v in UTC", got.Created, created)
	}
}
