package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/postgres"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

// KeyAdmin manages the AccessKeys of the database a server uses, from
// outside the server and while it runs: it opens the same database with
// the same server key (checked against the database's fingerprint), so a
// key it creates or disables is seen by every replica within the key
// cache's TTL.
type KeyAdmin struct {
	st  store.Store
	svc *service.Service
}

// OpenKeyAdmin opens the database and server key of cfg (DB, KeyFile or
// Key; the other fields are ignored). It never generates a server key.
func OpenKeyAdmin(ctx context.Context, cfg Config) (*KeyAdmin, error) {
	cfg.defaults()
	st, err := openStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	box, err := loadServerKey(ctx, st, cfg, false)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc, err := service.New(service.Config{Store: st, Box: box, Executor: noExecutor})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &KeyAdmin{st: st, svc: svc}, nil
}

func noExecutor(c upgrade.Cluster) (executor.Executor, error) {
	return nil, errors.New("key administration runs no executor")
}

// openStore opens and migrates the database a setting names.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if isPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db)
}

// Close closes the database.
func (a *KeyAdmin) Close() error { return a.st.Close() }

// Create generates an AccessKey pair for account, stored with its secret
// sealed. The secret is returned only here.
func (a *KeyAdmin) Create(ctx context.Context, account string) (id, secretValue string, err error) {
	if account == "" {
		return "", "", errors.New("an account name is required")
	}
	return a.svc.KeyCreate(ctx, account)
}

// List describes every AccessKey, without secrets.
func (a *KeyAdmin) List(ctx context.Context) ([]service.KeyInfo, error) { return a.svc.KeyList(ctx) }

// SetActive enables or disables an AccessKey; service.ErrKeyNotFound if
// there is none with id.
func (a *KeyAdmin) SetActive(ctx context.Context, id string, active bool) error {
	return a.svc.KeySetActive(ctx, id, active)
}

// RotateServerKey re-seals every secret of cfg's database (AccessKey
// secrets, registered clusters' kubeconfigs) from the server key of cfg to
// the key in newKeyFile, generating that file when it does not exist, and
// records the new key's fingerprint, all in one transaction. Servers still
// running with the old key refuse to start again with it and fail to open
// secrets: stop every replica first, then start them with the new key.
func RotateServerKey(ctx context.Context, cfg Config, newKeyFile string) error {
	cfg.defaults()
	if newKeyFile == "" {
		return errors.New("a new key file is required")
	}
	st, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	oldBox, err := loadServerKey(ctx, st, cfg, false)
	if err != nil {
		return err
	}
	newKey, _, err := secret.LoadOrCreateKey(filepath.Clean(newKeyFile))
	if err != nil {
		return err
	}
	newBox, err := secret.NewBox(newKey)
	if err != nil {
		return err
	}
	fp := secret.Fingerprint(newKey)
	return st.InTx(ctx, func(q store.Querier) error {
		old, err := q.MetaGet(ctx, store.MetaServerKeyFingerprint)
		if err != nil {
			return fmt.Errorf("read server key fingerprint: %w", err)
		}
		if old == fp {
			return fmt.Errorf("%s holds the key the database already uses", newKeyFile)
		}
		sealed, err := q.SealedList(ctx)
		if err != nil {
			return err
		}
		for _, s := range sealed {
			plain, err := oldBox.Open(s.Value)
			if err != nil {
				return fmt.Errorf("open %s %s: %w", s.Kind, s.ID, err)
			}
			s.Value = newBox.Seal(plain)
			if err := q.SealedUpdate(ctx, s); err != nil {
				return err
			}
		}
		return q.MetaSet(ctx, store.MetaServerKeyFingerprint, fp)
	})
}
