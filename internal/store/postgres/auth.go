package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/upgrade"
)

// What request authentication needs from the database: the access keys
// requests are signed with, and the replay cache of their nonces.

// AccessKeyPut inserts k or replaces the key with k's ID.
func (q queries) AccessKeyPut(ctx context.Context, k upgrade.AccessKey) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO access_keys (id, account_id, secret_enc, active, created)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET account_id = EXCLUDED.account_id,
			secret_enc = EXCLUDED.secret_enc, active = EXCLUDED.active, created = EXCLUDED.created`,
		k.ID, k.AccountID, k.SecretEnc, k.Active, k.Created)
	if err != nil {
		return fmt.Errorf("put access key %s: %w", k.ID, dbErr(err))
	}
	return nil
}

const accessKeyColumns = "id, account_id, secret_enc, active, created"

func scanAccessKey(row scanner) (upgrade.AccessKey, error) {
	var k upgrade.AccessKey
	err := row.Scan(&k.ID, &k.AccountID, &k.SecretEnc, &k.Active, &k.Created)
	k.Created = k.Created.UTC()
	return k, err
}

// AccessKeyGet returns the access key with id.
func (q queries) AccessKeyGet(ctx context.Context, id string) (upgrade.AccessKey, error) {
	row := q.db.QueryRow(ctx, "SELECT "+accessKeyColumns+" FROM access_keys WHERE id = $1", id)
	k, err := scanAccessKey(row)
	if err != nil {
		return upgrade.AccessKey{}, fmt.Errorf("get access key %s: %w", id, dbErr(err))
	}
	return k, nil
}

// AccessKeyList returns every access key, oldest first.
func (q queries) AccessKeyList(ctx context.Context) ([]upgrade.AccessKey, error) {
	rows, err := q.db.Query(ctx, "SELECT "+accessKeyColumns+" FROM access_keys ORDER BY created, id")
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	ks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (upgrade.AccessKey, error) { return scanAccessKey(r) })
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	return ks, nil
}

// ErrNonceUsed is returned by NonceUse when the nonce was already used with
// the key within the replay window: the request is a replay.
var ErrNonceUsed = errors.New("postgres: nonce already used")

// Sweeping of expired nonces: at most once per nonceSweepEvery (by the now
// NonceUse is given), at most nonceSweepBatch rows, so the cost of keeping
// the table small is spread thinly over requests.
const (
	nonceSweepEvery = time.Minute
	nonceSweepBatch = 500
)

// NonceUse records that nonce was used with keyID at now, and returns
// ErrNonceUsed if it already was within window. It is the replay cache
// shared by every replica on the database: of two replicas accepting the
// same signed request at once, exactly one succeeds.
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
		return fmt.Errorf("nonce %q of key %s: %w", nonce, keyID, ErrNonceUsed)
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
