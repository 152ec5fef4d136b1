// Package sqlite is ackup's embedded storage driver: a store.Store on one
// SQLite file through the pure-Go modernc.org/sqlite driver, so the server
// needs no database service and no cgo.
//
// The file runs in WAL mode with two connection pools. All writes, and
// everything inside InTx, go through a single writer connection whose
// transactions begin IMMEDIATE, so writers queue in Go rather than failing
// with SQLITE_BUSY and a transaction never has to upgrade a read lock.
// Reads outside a transaction go to a pool of query-only connections, which
// WAL lets run while a write is in progress.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/ackup/ackup/internal/store"
)

// busyTimeoutMillis is how long a connection waits for a lock held by
// another process (or by the writer, for a reader during a checkpoint)
// before giving up with SQLITE_BUSY.
const busyTimeoutMillis = 5000

// Store is a store.Store backed by a SQLite file. It is safe for concurrent
// use; Close it when done.
type Store struct {
	queries // outside any transaction
}

var _ store.Store = (*Store)(nil)

// dbs holds the two pools and the statements prepared on the reader for the
// hot read paths.
type dbs struct {
	writer *sql.DB
	reader *sql.DB
	hot    hotStmts
	status *statusReader // GetUpgradeStatus's own connections; see statusReader
	// nonceSweptAt is when NonceUse last swept expired nonces (nonces.go).
	nonceSweptAt atomic.Int64
}

// Open opens (creating if needed) the database file at path, configures it,
// and applies any schema migrations this binary has that the file lacks. It
// refuses a file migrated by a newer binary with an error wrapping
// store.ErrSchemaNewer.
func Open(ctx context.Context, path string) (*Store, error) {
	// Several processes opening one new file at once can meet SQLite's
	// lock while one of them creates the file or switches it to WAL, a
	// moment in which SQLite answers SQLITE_BUSY without waiting on the
	// busy timeout; the open is then tried again, for up to the timeout.
	deadline := time.Now().Add(busyTimeoutMillis * time.Millisecond)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		s, err := open(ctx, path)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func open(ctx context.Context, path string) (*Store, error) {
	writer, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and queueing for it in
	// database/sql is cheaper and fairer than retrying on SQLITE_BUSY.
	writer.SetMaxOpenConns(1)
	if err := store.Migrate(ctx, migrator{writer}, migrations); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	reader, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Idle readers stay open, keeping their prepared statements.
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)

	d := &dbs{writer: writer, reader: reader}
	if err := d.hot.prepare(ctx, reader); err != nil {
		d.close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if d.status, err = openStatusReader(path, n); err != nil {
		d.close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &Store{queries{db: d}}, nil
}

// dsn builds the modernc connection string for path. The writer sets the
// persistent journal mode and begins transactions IMMEDIATE; readers are
// query-only.
func dsn(path string, readOnly bool) string {
	v := url.Values{}
	v.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	v.Set("_foreign_keys", "1")
	v.Set("_synchronous", "NORMAL")
	if readOnly {
		v.Set("_query_only", "1")
	} else {
		v.Set("_journal_mode", "WAL")
		v.Set("_txlock", "immediate")
	}
	// A file: URI with an escaped path, so that a path containing '?' or
	// '#' is not mistaken for the start of the parameters.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode()
}

// InTx runs fn in one transaction on the writer connection: committed if fn
// returns nil, rolled back otherwise (and if fn panics). fn must use q, not
// the Store: there is one write connection, so a write through the Store
// from inside fn would wait for fn to finish.
func (s *Store) InTx(ctx context.Context, fn func(q store.Querier) error) error {
	tx, err := s.db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Rolls back if fn panics or exits the goroutine; a no-op after Commit.
	defer tx.Rollback()
	if err := fn(&queries{db: s.db, tx: tx}); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}

// Ping reports whether both pools reach the database and every migration
// this binary knows is applied.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite writer: %w", err)
	}
	if err := s.db.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite reader: %w", err)
	}
	if err := checkMigrated(ctx, s.db.reader); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close releases the prepared statements and both pools. It lets SQLite
// refresh its query-planner statistics first, as SQLite recommends on
// closing a long-lived connection.
func (s *Store) Close() error {
	_, optErr := s.db.writer.Exec("PRAGMA optimize")
	if err := s.db.close(); err != nil {
		return fmt.Errorf("close sqlite: %w", err)
	}
	if optErr != nil {
		return fmt.Errorf("close sqlite: optimize: %w", optErr)
	}
	return nil
}

func (d *dbs) close() error {
	var status error
	if d.status != nil {
		status = d.status.close()
	}
	return errors.Join(d.hot.close(), status, d.reader.Close(), d.writer.Close())
}

// hotStmts are the statements of GetUpgradeStatus's path, prepared once on
// the reader pool so that a status read does not parse SQL.
type hotStmts struct {
	clusterGet, taskGet, taskLatest *sql.Stmt
}

func (h *hotStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		dst  **sql.Stmt
		text string
	}{
		{&h.clusterGet, clusterGetSQL},
		{&h.taskGet, taskGetSQL},
		{&h.taskLatest, taskLatestSQL},
	} {
		st, err := db.PrepareContext(ctx, p.text)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

func (h *hotStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{h.clusterGet, h.taskGet, h.taskLatest} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
