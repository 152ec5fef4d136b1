// Package postgres is ackup's scale-out storage driver: store.Store on
// PostgreSQL 12 or newer through a pgx connection pool, shared by any number
// of server replicas.
//
// Open applies the embedded migrations under an advisory lock, so replicas
// starting together migrate once. InTx runs serialisable transactions and
// retries them on serialisation failures, which gives the isolation the
// store.Store contract promises. Beyond store.Store the package offers what
// replicas need to cooperate: a shared replay cache for request nonces
// (NonceUse) and task wake-ups over LISTEN/NOTIFY (store.Notifier).
//
// Times are stored as timestamptz, so they keep microsecond precision and
// come back in UTC.
package postgres

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ackup/ackup/internal/store"
)

// Store is a store.Store on a PostgreSQL connection pool. It is safe for
// concurrent use.
type Store struct {
	queries
	pool *pgxpool.Pool

	// nonceSweptAt is the unix-nanosecond time of the last sweep of expired
	// nonces, as seen by NonceUse's now.
	nonceSweptAt atomic.Int64
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a libpq URL or DSN; runtime
// parameters such as search_path pass through, and pool_max_conns sizes the
// pool), checks that the server is PostgreSQL 12 or newer, and migrates the
// schema. A database migrated by a newer ackup is refused with
// store.ErrSchemaNewer.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	// A replica frozen inside a transaction (SIGSTOP, a stalled VM) keeps
	// its task row locked, and claims skip locked rows: without a bound the
	// task could not be taken over until the session died. The URL may set
	// another value.
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = "15000"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := checkServer(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{queries: queries{db: pool}, pool: pool}, nil
}

// Close closes every connection of the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database is reachable and its schema is at the
// version this binary expects.
func (s *Store) Ping(ctx context.Context) error {
	v, err := schemaVersion(ctx, s.pool)
	if err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	if err := store.CheckSchema(v, migrations); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// InTx runs fn in one serialisable transaction: committed if fn returns
// nil, rolled back otherwise. When PostgreSQL aborts the transaction to keep
// it serialisable (a serialisation failure or a deadlock), InTx runs fn again
// in a fresh transaction, up to maxTxAttempts times, as store.Store allows.
func (s *Store) InTx(ctx context.Context, fn func(q store.Querier) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.Serializable}
	var err error
	for attempt := 1; ; attempt++ {
		err = pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
			return fn(queries{db: tx})
		})
		if !retryable(err) {
			return err
		}
		if attempt == maxTxAttempts {
			return fmt.Errorf("postgres: transaction aborted %d times by concurrent ones: %w", attempt, err)
		}
		if werr := backoff(ctx, attempt); werr != nil {
			return fmt.Errorf("%w (retrying after: %w)", werr, err)
		}
	}
}

// maxTxAttempts bounds InTx's retries of a transaction PostgreSQL aborted.
const maxTxAttempts = 10

// retryable reports whether err is a transient abort that a new attempt of
// the same transaction may not meet.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) &&
		(pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected)
}

// backoff waits a random time that grows with attempt (about 1ms, 2ms, 4ms,
// ... capped at 100ms), so colliding transactions spread out.
func backoff(ctx context.Context, attempt int) error {
	d := min(time.Millisecond<<(attempt-1), 100*time.Millisecond)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dbtx is what a pool and a transaction have in common.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// queries implements store.Querier on a pool or on one transaction.
type queries struct {
	db dbtx
}

var _ store.Querier = queries{}

// scanner is a pgx.Row or pgx.Rows positioned on a row.
type scanner interface {
	Scan(dest ...any) error
}

// PostgreSQL error codes the driver acts on.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// dbErr maps a pgx error to the store's sentinels, keeping the original in
// the chain for logs.
func dbErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return err
}

// mustAffect turns an UPDATE that touched no row into ErrNotFound.
func mustAffect(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return dbErr(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// jsonArg encodes v as JSON for a jsonb parameter. It exists because pgx
// sends a nil slice or map as SQL NULL, where the schema wants the JSON
// value null so that nil and empty survive a round trip apart.
type jsonArg struct{ v any }

// Value implements driver.Valuer.
func (a jsonArg) Value() (driver.Value, error) {
	b, err := json.Marshal(a.v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// rawJSONArg is the parameter for a json column holding m: NULL when m is
// empty, m's bytes otherwise.
func rawJSONArg(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// limitArg is the LIMIT parameter for a page size: NULL (no limit) when
// limit is not positive.
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return limit
}
