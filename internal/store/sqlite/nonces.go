package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// The replay cache of request nonces (store.NonceStore). Every write goes
// through the one writer connection, so a NonceUse is a single upsert that
// either inserts the pair or finds it live; both are committed before the
// call returns.

var _ store.NonceStore = (*Store)(nil)

const (
	// NonceUse sweeps at most once per nonceSweepEvery (by its now), up to
	// nonceSweepBatch rows.
	nonceSweepEvery = time.Second
	nonceSweepBatch = 1000
	// nonceRecordRows is how many rows one INSERT of NonceRecord carries
	// (3 parameters each, far below SQLite's limit of 32,766).
	nonceRecordRows = 256
)

const nonceUseSQL = `INSERT INTO nonces (key_id, nonce, expires_at) VALUES (?1, ?2, ?3)
	ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
		WHERE nonces.expires_at <= ?4`

// nonceSweepSQL deletes about ?2 rows expired at ?1, oldest first (rows
// sharing an expiry with the last one go too). It selects by expires_at
// on both sides so that both are index lookups: a row-value IN over the
// primary key made SQLite scan the whole table for every sweep.
const nonceSweepSQL = `DELETE FROM nonces WHERE expires_at IN (
	SELECT expires_at FROM nonces WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`

// NonceUse records that nonce was used with keyID at now, live until
// now+window, and returns store.ErrNonceUsed if it is still live. An
// expired record that the sweep has not deleted yet does not count.
func (s *Store) NonceUse(ctx context.Context, keyID, nonce string, now time.Time, window time.Duration) error {
	if err := s.nonceSweep(ctx, now, nonceSweepBatch); err != nil {
		return fmt.Errorf("use nonce of key %s: %w", keyID, err)
	}
	res, err := s.db.writer.ExecContext(ctx, nonceUseSQL, keyID, nonce, toNanos(now.Add(window)), toNanos(now))
	if err != nil {
		return fmt.Errorf("use nonce of key %s: %w", keyID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("use nonce of key %s: %w", keyID, err)
	} else if n == 0 {
		return fmt.Errorf("nonce %q of key %s: %w", nonce, keyID, store.ErrNonceUsed)
	}
	return nil
}

// NonceRecord commits ns in one transaction, a few hundred rows per
// statement; a pair already recorded keeps the later expiry. It also
// deletes up to twice as many rows expired at now as it adds, so that the
// table shrinks back however fast nonces arrive.
func (s *Store) NonceRecord(ctx context.Context, now time.Time, ns []store.Nonce) error {
	if len(ns) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx dbtx) error {
		for rest := ns; len(rest) > 0; {
			batch := rest[:min(len(rest), nonceRecordRows)]
			rest = rest[len(batch):]
			var b strings.Builder
			b.WriteString("INSERT INTO nonces (key_id, nonce, expires_at) VALUES ")
			args := make([]any, 0, 3*len(batch))
			for i, n := range batch {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("(?,?,?)")
				args = append(args, n.KeyID, n.Nonce, toNanos(n.Expires))
			}
			b.WriteString(" ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = max(nonces.expires_at, excluded.expires_at)")
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d nonces: %w", len(ns), err)
	}
	if _, err := s.db.writer.ExecContext(ctx, nonceSweepSQL, toNanos(now), 2*len(ns)); err != nil {
		return fmt.Errorf("record %d nonces: sweep: %w", len(ns), err)
	}
	return nil
}

// NonceLive calls fn with every record live at now.
func (s *Store) NonceLive(ctx context.Context, now time.Time, fn func(store.Nonce) error) error {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT key_id, nonce, expires_at FROM nonces WHERE expires_at > ?`, toNanos(now))
	if err != nil {
		return fmt.Errorf("list live nonces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n       store.Nonce
			expires int64
		)
		if err := rows.Scan(&n.KeyID, &n.Nonce, &expires); err != nil {
			return fmt.Errorf("list live nonces: %w", err)
		}
		n.Expires = fromNanos(expires)
		if err := fn(n); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list live nonces: %w", err)
	}
	return nil
}

// nonceSweep deletes up to limit nonces expired at now, unless a sweep ran
// within nonceSweepEvery of now.
func (s *Store) nonceSweep(ctx context.Context, now time.Time, limit int) error {
	last := s.db.nonceSweptAt.Load()
	if now.UnixNano()-last < int64(nonceSweepEvery) || !s.db.nonceSweptAt.CompareAndSwap(last, now.UnixNano()) {
		return nil
	}
	if _, err := s.db.writer.ExecContext(ctx, nonceSweepSQL, toNanos(now), limit); err != nil {
		return fmt.Errorf("sweep expired nonces: %w", err)
	}
	return nil
}
