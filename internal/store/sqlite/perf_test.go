package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// benchCluster fills a store with a cluster that has a history of tasks of
// several types, as a cluster that has been upgraded a few times does.
func benchCluster(b *testing.B) (*Store, upgrade.Cluster) {
	b.Helper()
	s := openBench(b)
	ctx := b.Context()
	now := time.Now()
	c := upgrade.Cluster{ID: upgrade.NewClusterID(), AccountID: "acct-1", Name: "prod",
		ClusterType: upgrade.TypeManagedKubernetes, State: upgrade.ClusterRunning,
		VSwitchIDs: []string{"vsw-a", "vsw-b"}, Tags: []upgrade.Tag{{Key: "env", Value: "prod"}},
		Created: now, Updated: now}
	if err := s.ClusterInsert(ctx, c); err != nil {
		b.Fatal(err)
	}
	types := []upgrade.TaskType{upgrade.TaskClusterUpgrade, upgrade.TaskNodePoolUpgrade}
	for i := range 50 {
		created := now.Add(time.Duration(i) * time.Minute)
		task := upgrade.Task{ID: upgrade.NewTaskID(), ClusterID: c.ID, AccountID: c.AccountID,
			Type: types[i%len(types)], State: upgrade.TaskSuccess, Step: upgrade.StepUpgrading,
			Params:  []byte(`{"next_version":"1.32.1-aliyun.1"}`),
			Stages:  []upgrade.Stage{{Name: "Precheck", State: "success", Start: created, End: created}},
			Created: created, Updated: created, NextRunAt: created}
		if err := s.TaskInsert(ctx, task); err != nil {
			b.Fatal(err)
		}
	}
	return s, c
}

func BenchmarkClusterGet(b *testing.B) {
	s, c := benchCluster(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ClusterGet(ctx, c.AccountID, c.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTaskLatest(b *testing.B) {
	s, c := benchCluster(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.TaskLatest(ctx, c.ID, upgrade.TaskClusterUpgrade); err != nil {
			b.Fatal(err)
		}
	}
}

// openBench opens a store on a new file for a benchmark.
func openBench(b *testing.B) *Store {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "ackup.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// TestQueryPlansUseIndexes keeps the fixed queries of the hot path and of
// the lease loop off full table scans: each must search by an index.
func TestQueryPlansUseIndexes(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	queries := []struct {
		name string
		sql  string
		args []any
	}{
		{"ClusterGet", clusterGetSQL, []any{"c", "a", "a"}},
		{"TaskGet", taskGetSQL, []any{"t", "a", "a"}},
		{"TaskLatest", taskLatestSQL, []any{"c", "cluster_upgrade"}},
		{"TaskActive", taskActiveSQL, []any{"c"}},
		{"TaskClaim", claimSQL, []any{"owner", 1, 2, 3}},
		{"TaskNextDue", nextDueSQL, nil},
	}
	for _, q := range queries {
		rows, err := s.db.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") {
				t.Errorf("%s scans a table: %s", q.name, strings.Join(plan, "; "))
			}
		}
	}
}
