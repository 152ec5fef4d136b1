package sqlite

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// BenchmarkTaskStatusLatest is GetUpgradeStatus's whole store read, for
// comparison with BenchmarkClusterGet plus BenchmarkTaskLatest, the two
// reads it replaces.
func BenchmarkTaskStatusLatest(b *testing.B) {
	s, c := benchCluster(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, found, err := s.TaskStatusLatest(ctx, c.AccountID, c.ID, upgrade.TaskClusterUpgrade); err != nil || !found {
			b.Fatal(found, err)
		}
	}
}

// BenchmarkTaskStatusLatestParallel runs the read from GOMAXPROCS
// goroutines at once, as concurrent API requests do, through the reader
// pool.
func BenchmarkTaskStatusLatestParallel(b *testing.B) {
	s, c := benchCluster(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, found, err := s.TaskStatusLatest(ctx, c.AccountID, c.ID, upgrade.TaskClusterUpgrade); err != nil || !found {
				b.Error(found, err)
				return
			}
		}
	})
}

// TestTaskStatusLatestSeesEveryCommit reads through the status reader's own
// connections right after each write commits on the writer: the read must
// see it (no snapshot may be kept between reads).
func TestTaskStatusLatestSeesEveryCommit(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	now := time.Now()
	c := upgrade.Cluster{ID: "c-1", AccountID: "a", Name: "n", State: upgrade.ClusterRunning, Created: now, Updated: now}
	if err := s.ClusterInsert(ctx, c); err != nil {
		t.Fatal(err)
	}
	task := upgrade.Task{ID: "T-1", ClusterID: c.ID, AccountID: "a", Type: upgrade.TaskClusterUpgrade, State: upgrade.TaskRunning,
		Created: now, Updated: now, NextRunAt: now}
	if err := s.TaskInsert(ctx, task); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		task.Message = strings.Repeat("x", i%7) + "step " + strconv.Itoa(i)
		if err := s.TaskUpdate(ctx, task); err != nil {
			t.Fatal(err)
		}
		got, found, err := s.TaskStatusLatest(ctx, "a", c.ID, upgrade.TaskClusterUpgrade)
		if err != nil || !found || got.Message != task.Message {
			t.Fatalf("after write %d: read %q (found %v, err %v), want %q", i, got.Message, found, err, task.Message)
		}
	}
}

// TestTaskStatusLatestAfterClose fails cleanly on a closed store.
func TestTaskStatusLatestAfterClose(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.TaskStatusLatest(t.Context(), "a", "c-1", upgrade.TaskClusterUpgrade); err == nil {
		t.Fatal("a status read on a closed store succeeded")
	}
}
