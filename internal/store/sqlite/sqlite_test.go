package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
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

func TestMigrationsAppliedOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ackup.db")
	for range 3 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db := rawDB(t, path)
	var rows, distinct, newest int
	err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_migrations`).
		Scan(&rows, &distinct, &newest)
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != distinct || rows != newest {
		t.Errorf("schema_migrations after three opens: %d rows, %d versions, newest %d; want each version once",
			rows, distinct, newest)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal mode %q, want wal", mode)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ackup.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := upgrade.Cluster{ID: upgrade.NewClusterID(), AccountID: "acct-1", Name: "prod",
		State: upgrade.ClusterRunning, Tags: []upgrade.Tag{{Key: "k", Value: "v"}}, Created: time.Now()}
	task := upgrade.Task{ID: upgrade.NewTaskID(), ClusterID: c.ID, AccountID: c.AccountID,
		Type: upgrade.TaskClusterUpgrade, State: upgrade.TaskRunning, Created: time.Now()}
	err = s.InTx(ctx, func(q store.Querier) error {
		if err := q.ClusterInsert(ctx, c); err != nil {
			return err
		}
		if err := q.TaskInsert(ctx, task); err != nil {
			return err
		}
		return q.EventAppend(ctx, task.ID, []upgrade.TaskEvent{{Time: time.Now(), Reason: "Start"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTempAt(t, path)
	got, err := s.ClusterGet(ctx, "acct-1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "prod" || !got.Created.Equal(c.Created) || len(got.Tags) != 1 {
		t.Errorf("cluster after reopen: %+v", got)
	}
	latest, err := s.TaskLatest(ctx, c.ID, upgrade.TaskClusterUpgrade)
	if err != nil || latest.ID != task.ID {
		t.Errorf("latest task after reopen: %v, %v; want %s", latest.ID, err, task.ID)
	}
	evs, err := s.EventList(ctx, task.ID)
	if err != nil || len(evs) != 1 || evs[0].Seq != 1 {
		t.Errorf("events after reopen: %+v, %v", evs, err)
	}
}

func openTempAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ackup.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at)
		VALUES ((SELECT MAX(version) + 1 FROM schema_migrations), 'from_the_future', 0)`)
	if err != nil {
		t.Fatal(err)
	}

	s, err = sqlite.Open(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database migrated by a newer binary")
	}
	if !errors.Is(err, sqlite.ErrSchemaTooNew) {
		t.Fatalf("Open: %v, want ErrSchemaTooNew", err)
	}
	t.Logf("Open refused with: %v", err)
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
