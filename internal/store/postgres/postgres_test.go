package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/storetest"
	"github.com/ackup/ackup/internal/upgrade"
)

// defaultTestURL is the server the tests use unless ACKUP_TEST_POSTGRES
// names another.
const defaultTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testURL() string {
	if u := os.Getenv("ACKUP_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultTestURL
}

// withParams returns the libpq URL u with query parameters kv (key, value,
// key, value, ...) set.
func withParams(t testing.TB, u string, kv ...string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		t.Fatalf("test database %q: want a postgres:// URL", u)
	}
	q := parsed.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

func randomName(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// connectAdmin connects to the test server. Without a server the test
// skips, or fails when CI is set, so CI can never pass by skipping.
func connectAdmin(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, testURL())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s: %v (CI is set, so this is a failure)", testURL(), err)
		}
		t.Skipf("PostgreSQL at %s not reachable (set ACKUP_TEST_POSTGRES): %v", testURL(), err)
	}
	return conn
}

// testSchema creates a schema of its own for the test, dropped at cleanup,
// and returns a URL whose search_path selects it.
func testSchema(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin := connectAdmin(t, ctx)
	defer admin.Close(ctx)
	schema := randomName("ackup_test_")
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, testURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withParams(t, testURL(), "search_path", schema)
}

// openURL opens a Store on u, closed at cleanup.
func openURL(t testing.TB, u string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTest opens a Store on a fresh schema.
func openTest(t testing.TB) *Store { return openURL(t, testSchema(t)) }

func TestConformance(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	connectAdmin(t, ctx).Close(ctx) // skip (or fail) once, not in every subtest
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	connectAdmin(t, ctx).Close(ctx) // skip (or fail) once, not in every subtest
	storetest.RunMigrations(t, storetest.MigrationHarness{
		New: func(t *testing.T) string { return testSchema(t) },
		Open: func(ctx context.Context, u string) (store.Store, error) {
			return Open(ctx, u)
		},
		Migrator: func(t *testing.T, u string) store.Migrator {
			pool, err := pgxpool.New(t.Context(), u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			return migrator{pool}
		},
		Migrations: migrations,
	})
}

func TestOpenMissingSchema(t *testing.T) {
	t.Parallel()
	testSchema(t) // skips without a server
	u := withParams(t, testURL(), "search_path", randomName("ackup_absent_"))
	s, err := Open(t.Context(), u)
	if err == nil {
		s.Close()
		t.Fatal("Open with a search_path naming no schema: got nil error")
	}
	t.Logf("Open with a missing schema: %v", err)
}

func TestCheckServerVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		num, version string
		ok           bool
	}{
		{"110022", "11.22", false},
		{"90624", "9.6.24", false},
		{"120000", "12.0", true},
		{"150020", "15.20 (Debian 15.20-0+deb12u1)", true},
		{"170000", "17.0", true},
		{"", "weird", false},
	}
	for _, tt := range tests {
		err := checkServerVersion(tt.num, tt.version)
		if (err == nil) != tt.ok {
			t.Errorf("checkServerVersion(%q, %q) = %v, want ok=%v", tt.num, tt.version, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), tt.version) {
			t.Errorf("checkServerVersion(%q, %q) = %q, want the version found named", tt.num, tt.version, err)
		}
	}
}

func testCluster(id string, now time.Time) upgrade.Cluster {
	return upgrade.Cluster{
		ID: id, AccountID: "acct", Name: "bench", RegionID: "cn-hangzhou",
		ClusterType: upgrade.TypeManagedKubernetes, ClusterSpec: "ack.pro.small",
		CurrentVersion: "1.30.1-aliyun.1", InitVersion: "1.30.1-aliyun.1",
		State: upgrade.ClusterRunning, VSwitchIDs: []string{"vsw-1"},
		Tags:     []upgrade.Tag{{Key: "env", Value: "test"}},
		Executor: upgrade.ExecutorSim, Created: now, Updated: now,
	}
}

func testTask(id, clusterID string, now time.Time) upgrade.Task {
	return upgrade.Task{
		ID: id, ClusterID: clusterID, AccountID: "acct", Type: upgrade.TaskClusterUpgrade,
		State: upgrade.TaskRunning, Step: upgrade.StepUpgrading, Stage: "UpgradeMaster",
		Params:  []byte(`{"version":"1.31.1-aliyun.1"}`),
		Stages:  []upgrade.Stage{{Name: "UpgradeMaster", State: "running", Start: now}},
		Created: now, Updated: now, NextRunAt: now,
	}
}

func BenchmarkClusterGet(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	if err := s.ClusterInsert(ctx, testCluster("c1", time.Now())); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ClusterGet(ctx, "acct", "c1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTaskLatest(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	start := time.Now()
	for i := range 100 {
		if err := s.TaskInsert(ctx, testTask(upgrade.NewTaskID(), "c1", start.Add(time.Duration(i)*time.Second))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.TaskLatest(ctx, "c1", upgrade.TaskClusterUpgrade); err != nil {
			b.Fatal(err)
		}
	}
}
