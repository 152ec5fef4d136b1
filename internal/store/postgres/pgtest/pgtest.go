// Package pgtest gives tests a PostgreSQL schema of their own on the test
// server (ACKUP_TEST_POSTGRES, default the local one), dropped at cleanup.
// Without a reachable server a test skips, or fails when CI is set, so CI
// can never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URL returns the test server's URL.
func URL() string {
	if u := os.Getenv("ACKUP_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Schema creates a schema named prefix plus random hex, dropped at cleanup
// (after whatever the test registered later, as cleanups run last-registered
// first), and returns a URL whose search_path selects it, with extra query
// parameters (key, value, ...) set.
func Schema(t testing.TB, prefix string, kv ...string) string {
	t.Helper()
	base := URL()
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
	_, _ = rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
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
