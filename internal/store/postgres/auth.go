package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/upgrade"
)

// What request authentication needs from the database: the access keys
// requests are signed with (the replay cache of their nonces is in
// nonces.go).

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
