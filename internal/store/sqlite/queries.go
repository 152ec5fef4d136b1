package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ackup/ackup/internal/store"
)

// dbtx is what *sql.DB and *sql.Tx have in common.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements store.Querier. Outside a transaction (tx nil) reads go
// to the reader pool and writes to the writer; inside InTx both go to tx.
type queries struct {
	db *dbs
	tx *sql.Tx
}

var _ store.Querier = (*queries)(nil)

// reader returns where a single-statement read runs.
func (q *queries) reader() dbtx {
	if q.tx != nil {
		return q.tx
	}
	return q.db.reader
}

// writer returns where a single-statement write runs.
func (q *queries) writer() dbtx {
	if q.tx != nil {
		return q.tx
	}
	return q.db.writer
}

// hotRow runs a statement prepared on the reader pool outside a transaction,
// and the same SQL as text inside one (where the writer connection runs it).
func (q *queries) hotRow(ctx context.Context, st *sql.Stmt, text string, args ...any) *sql.Row {
	if q.tx != nil {
		return q.tx.QueryRowContext(ctx, text, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// readTx runs fn, which reads with several statements, on one consistent
// snapshot: the caller's transaction, or a read transaction on the reader
// pool.
func (q *queries) readTx(ctx context.Context, fn func(dbtx) error) error {
	if q.tx != nil {
		return fn(q.tx)
	}
	tx, err := q.db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() // a read transaction has nothing to commit
	return fn(tx)
}

// writeTx runs fn, which writes with several statements, atomically: in the
// caller's transaction, or in its own transaction on the writer.
func (q *queries) writeTx(ctx context.Context, fn func(dbtx) error) error {
	if q.tx != nil {
		return fn(q.tx)
	}
	tx, err := q.db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// execOne runs a write that must touch exactly one row, returning
// store.ErrNotFound when it touched none.
func execOne(ctx context.Context, db dbtx, query string, args ...any) error {
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// mapErr turns driver errors into the store's sentinels: no rows into
// store.ErrNotFound, a primary-key or unique violation into
// store.ErrConflict (keeping SQLite's message, which names the column).
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
	}
	return err
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// collect scans every row of rows with scan.
func collect[T any](rows *sql.Rows, err error, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// page returns the LIMIT and OFFSET for a page; a limit of 0 or less means
// no limit, which SQLite spells -1.
func page(offset, limit int) (int, int) {
	if limit <= 0 {
		limit = -1
	}
	return limit, max(offset, 0)
}
