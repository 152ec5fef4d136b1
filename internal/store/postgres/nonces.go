package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// The replay cache of request nonces (store.NonceStore), shared by every
// replica on the database: of two replicas accepting the same signed
// request at once, exactly one succeeds.

var _ store.NonceStore = (*Store)(nil)

// ErrNonceUsed is store.ErrNonceUsed, which NonceUse returns for a replay.
var ErrNonceUsed = store.ErrNonceUsed

// Sweeping of expired nonces: at most once per nonceSweepEvery (by the now
// NonceUse is given), at most nonceSweepBatch rows, so the cost of keeping
// the table small is spread thinly over requests. 10,000 rows every 10 s
// keep pace with 1,000 new nonces a second, more than a replica sustains
// with a synchronous insert per request.
const (
	nonceSweepEvery = 10 * time.Second
	nonceSweepBatch = 10_000
)

// NonceUse records that nonce was used with keyID at now, and returns
// store.ErrNonceUsed if it already was within window.
//
// A recorded nonce expires at now+window. An expired record that the sweep
// has not yet deleted does not count: the insert overwrites it.
func (s *Store) NonceUse(ctx context.Context, keyID, nonce string, now time.Time, window time.Duration) error {
	// Sweep first: should it fail, the nonce is not yet recorded, so the
	// client's retry of the request is not mistaken for a replay.
	if err := s.nonceSweep(ctx, now); err != nil {
		return fmt.Errorf("use nonce of key %s: %w", keyID, err)
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO nonces (key_id, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
			WHERE nonces.expires_at <= $4`,
		keyID, nonce, now.Add(window), now)
	if err != nil {
		return fmt.Errorf("use nonce of key %s: %w", keyID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("nonce %q of key %s: %w", nonce, keyID, store.ErrNonceUsed)
	}
	return nil
}

// NonceRecord commits ns in one statement; a pair already recorded keeps
// the later expiry.
func (s *Store) NonceRecord(ctx context.Context, now time.Time, ns []store.Nonce) error {
	if len(ns) == 0 {
		return nil
	}
	if err := s.nonceSweep(ctx, now); err != nil {
		return fmt.Errorf("record %d nonces: %w", len(ns), err)
	}
	keys, nonces, expires := make([]string, len(ns)), make([]string, len(ns)), make([]time.Time, len(ns))
	for i, n := range ns {
		keys[i], nonces[i], expires[i] = n.KeyID, n.Nonce, n.Expires
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO nonces (key_id, nonce, expires_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
		ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = GREATEST(nonces.expires_at, EXCLUDED.expires_at)`,
		keys, nonces, expires)
	if err != nil {
		return fmt.Errorf("record %d nonces: %w", len(ns), err)
	}
	return nil
}

// NonceLive calls fn with every record live at now.
func (s *Store) NonceLive(ctx context.Context, now time.Time, fn func(store.Nonce) error) error {
	rows, err := s.pool.Query(ctx, `SELECT key_id, nonce, expires_at FROM nonces WHERE expires_at > $1`, now)
	if err != nil {
		return fmt.Errorf("list live nonces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n store.Nonce
		if err := rows.Scan(&n.KeyID, &n.Nonce, &n.Expires); err != nil {
			return fmt.Errorf("list live nonces: %w", err)
		}
		n.Expires = n.Expires.UTC()
		if err := fn(n); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list live nonces: %w", err)
	}
	return nil
}

// nonceSweep deletes up to nonceSweepBatch expired nonces if no sweep has
// run in this process within nonceSweepEvery of now. Replicas sweep
// independently; concurrent sweeps delete disjoint or already-gone rows, which
// is harmless.
func (s *Store) nonceSweep(ctx context.Context, now time.Time) error {
	last := s.nonceSweptAt.Load()
	if now.UnixNano()-last < int64(nonceSweepEvery) || !s.nonceSweptAt.CompareAndSwap(last, now.UnixNano()) {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM nonces WHERE ctid IN (
		SELECT ctid FROM nonces WHERE expires_at <= $1 LIMIT $2)`, now, nonceSweepBatch)
	if err != nil {
		return fmt.Errorf("sweep expired nonces: %w", err)
	}
	return nil
}
