package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/store/postgres"
)

// The store the tests run on. ACKUP_E2E_STORE=postgres runs every in-process
// server of start() on PostgreSQL instead of a SQLite file; the replica tests
// always use PostgreSQL. ACKUP_TEST_POSTGRES names the server.

// defaultPostgresURL is the test server unless ACKUP_TEST_POSTGRES names
// another: trust authentication, database test.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func postgresURL() string {
	if u := os.Getenv("ACKUP_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultPostgresURL
}

// testStore returns the database and key file for a server of start() in
// dir: a SQLite file (and the server's default key file beside it), or, with
// ACKUP_E2E_STORE=postgres, a fresh schema and a key file in dir.
func testStore(t *testing.T, dir string) (db, keyFile string) {
	t.Helper()
	switch s := os.Getenv("ACKUP_E2E_STORE"); s {
	case "", "sqlite":
		return filepath.Join(dir, "ackup.db"), ""
	case "postgres":
		return postgresSchema(t), filepath.Join(dir, "ackup.key")
	default:
		t.Fatalf("ACKUP_E2E_STORE=%q: want sqlite or postgres", s)
		return "", ""
	}
}

// postgresSchema creates a schema of its own for the test on the test
// server, dropped at cleanup (after the servers using it have stopped, as
// cleanups run last-registered first), and returns a URL whose search_path
// selects it, with extra query parameters (key, value, ...) set. Without a
// server the test skips, or fails when CI is set, so CI can never pass by
// skipping.
func postgresSchema(t *testing.T, kv ...string) string {
	t.Helper()
	base := postgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s: %v (CI is set, so this is a failure)", base, err)
		}
		t.Skipf("PostgreSQL at %s not reachable (set ACKUP_TEST_POSTGRES): %v", base, err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "ackup_e2e_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("ACKUP_TEST_POSTGRES=%q: want a postgres:// URL", base)
	}
	q := u.Query()
	q.Set("search_path", schema)
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens the store at u for the test to read what the servers
// wrote, closed at cleanup.
func openPostgres(t *testing.T, u string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatalf("open the replicas' database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
