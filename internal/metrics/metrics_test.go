package metrics

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

func TestObserveRequestCountsByOperationStatusAndCode(t *testing.T) {
	t.Parallel()
	m := New(Config{Operations: []string{"GetUpgradeStatus", "DeleteCluster"}})
	m.ObserveRequest("GetUpgradeStatus", "", 200, time.Millisecond)
	m.ObserveRequest("GetUpgradeStatus", "", 200, time.Millisecond)
	m.ObserveRequest("GetUpgradeStatus", "ErrorClusterNotFound", 404, time.Millisecond)
	m.ObserveRequest("DeleteCluster", "", 202, time.Millisecond)
	m.ObserveRequest("DeleteCluster", "", 200, time.Millisecond) // another success status than the cached one
	m.ObserveRequest("Unlisted", "", 200, time.Millisecond)
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"GetUpgradeStatus", "200", ""}, 2},
		{[]string{"GetUpgradeStatus", "404", "ErrorClusterNotFound"}, 1},
		{[]string{"DeleteCluster", "202", ""}, 1},
		{[]string{"DeleteCluster", "200", ""}, 1},
		{[]string{"Unlisted", "200", ""}, 1},
	} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("requests%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := testutil.CollectAndCount(m.duration); got != 3 {
		t.Errorf("%d duration series, want 3", got)
	}
}

// TestObserveRequestDoesNotAllocate keeps the per-request cost of metrics
// off the allocator: a success of a listed operation is two atomic updates.
func TestObserveRequestDoesNotAllocate(t *testing.T) {
	m := New(Config{Operations: []string{"GetUpgradeStatus"}})
	m.ObserveRequest("GetUpgradeStatus", "", 200, time.Millisecond) // resolves the success counter
	if n := testing.AllocsPerRun(100, func() { m.ObserveRequest("GetUpgradeStatus", "", 200, time.Millisecond) }); n != 0 {
		t.Errorf("ObserveRequest allocates %v times per call", n)
	}
}

func TestObservePassByResult(t *testing.T) {
	t.Parallel()
	m := New(Config{})
	m.ObservePass("cluster_upgrade", time.Millisecond, nil)
	m.ObservePass("cluster_upgrade", time.Millisecond, fmt.Errorf("commit: %w", store.ErrFenced))
	m.ObservePass("cluster_upgrade", time.Millisecond, errors.New("disk full"))
	m.ObservePass("", time.Millisecond, errors.New("task vanished"))
	if got := testutil.CollectAndCount(m.pass); got != 4 {
		t.Errorf("%d pass series, want 4 (ok, fenced, error, unknown type)", got)
	}
}

func TestAuthFailedByReason(t *testing.T) {
	t.Parallel()
	m := New(Config{})
	m.AuthFailed("SignatureDoesNotMatch")
	m.AuthFailed("SignatureDoesNotMatch")
	m.AuthFailed("SignatureNonceUsed")
	if got := testutil.ToFloat64(m.authFailures.WithLabelValues("SignatureDoesNotMatch")); got != 2 {
		t.Errorf("SignatureDoesNotMatch = %v, want 2", got)
	}
}

// TestStoreCountsFailuresNotAnswers wraps a real SQLite store: not-found
// and conflict are answers and not counted; a closed database's errors
// are, by method.
func TestStoreCountsFailuresNotAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	m := New(Config{})
	st := m.Store(lite)
	c := upgrade.Cluster{ID: "c-1", AccountID: "a", Name: "n", State: upgrade.ClusterRunning, Created: time.Now(), Updated: time.Now()}
	if err := st.ClusterInsert(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.ClusterInsert(ctx, c); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate insert: %v", err)
	}
	if _, err := st.ClusterGet(ctx, "a", "c-missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing cluster: %v", err)
	}
	errTx := errors.New("the caller's own error")
	if err := st.InTx(ctx, func(q store.Querier) error {
		if _, err := q.ClusterGet(ctx, "a", "c-missing"); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return errTx
	}); !errors.Is(err, errTx) {
		t.Fatalf("InTx: %v", err)
	}
	if got := testutil.CollectAndCount(m.storeErrors); got != 0 {
		t.Fatalf("%d store error series after answers only, want 0", got)
	}
	if err := lite.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClusterGet(ctx, "a", "c-1"); err == nil {
		t.Fatal("ClusterGet on a closed store succeeded")
	}
	if _, _, err := st.TaskStatusLatest(ctx, "a", "c-1", upgrade.TaskClusterUpgrade); err == nil {
		t.Fatal("TaskStatusLatest on a closed store succeeded")
	}
	if err := st.InTx(ctx, func(store.Querier) error { return nil }); err == nil {
		t.Fatal("InTx on a closed store succeeded")
	}
	for _, method := range []string{"ClusterGet", "TaskStatusLatest", "InTx"} {
		if got := testutil.ToFloat64(m.storeErrors.WithLabelValues(method)); got != 1 {
			t.Errorf("store errors of %s = %v, want 1", method, got)
		}
	}
}
