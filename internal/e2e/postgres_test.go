package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store/postgres"
	"github.com/ackup/ackup/internal/store/postgres/pgtest"
)

// The store the tests run on. ACKUP_E2E_STORE=postgres runs every in-process
// server of start() on PostgreSQL instead of a SQLite file; the replica tests
// always use PostgreSQL. ACKUP_TEST_POSTGRES names the server.

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

// postgresSchema creates a schema of its own for the test (see pgtest.Schema).
func postgresSchema(t *testing.T, kv ...string) string {
	t.Helper()
	return pgtest.Schema(t, "ackup_e2e_", kv...)
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
