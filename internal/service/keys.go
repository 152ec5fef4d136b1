package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// DefaultAccount is the account keys registered at server start belong to.
const DefaultAccount = "default"

// DefaultKeyCacheTTL is how long a server trusts a resolved AccessKey
// before reading it again. It bounds how long a key disabled on one
// replica (or by 'ackup key disable') keeps working on every other: a
// disabled key must be refused within a second. Reading a key and opening
// its secret twice a second per active key costs next to nothing.
const DefaultKeyCacheTTL = 500 * time.Millisecond

// ErrKeyNotFound is returned by Secret and AccountForKey for an unknown key.
var ErrKeyNotFound = errors.New("access key not found")

type keyEntry struct {
	secret  string
	account string
	active  bool
	fetched time.Time
}

// key resolves an AccessKey through a short-lived cache: signature checks
// run on every request, and opening a sealed secret is not free.
func (s *Service) key(ctx context.Context, id string) (*keyEntry, error) {
	now := s.now()
	if v, ok := s.keys.Load(id); ok {
		e := v.(*keyEntry)
		if now.Sub(e.fetched) < s.keyTTL {
			return e, nil
		}
	}
	k, err := s.st.AccessKeyGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrKeyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get access key: %w", err)
	}
	plain, err := s.box.Open(k.SecretEnc)
	if err != nil {
		return nil, fmt.Errorf("open access key %s: %w", id, err)
	}
	e := &keyEntry{secret: string(plain), account: k.AccountID, active: k.Active, fetched: now}
	s.keys.Store(id, e)
	return e, nil
}

// Secret returns an AccessKey's secret and whether the key is active; it
// satisfies the signature verifier's key lookup.
func (s *Service) Secret(ctx context.Context, accessKeyID string) (string, bool, error) {
	e, err := s.key(ctx, accessKeyID)
	if err != nil {
		return "", false, err
	}
	return e.secret, e.active, nil
}

// AccountForKey returns the account an AccessKey belongs to.
func (s *Service) AccountForKey(ctx context.Context, accessKeyID string) (string, error) {
	e, err := s.key(ctx, accessKeyID)
	if err != nil {
		return "", err
	}
	return e.account, nil
}

// KeyRegister stores (or re-activates) an AccessKey pair for account.
func (s *Service) KeyRegister(ctx context.Context, account, id, secretValue string) error {
	if id == "" || secretValue == "" || strings.ContainsAny(id, ": ,") {
		return upgrade.Invalidf("an AccessKey id and secret are required, and the id may not contain ':', ',' or spaces")
	}
	err := s.st.AccessKeyPut(ctx, upgrade.AccessKey{ID: id, AccountID: account, SecretEnc: s.box.Seal([]byte(secretValue)), Active: true, Created: s.now().UTC()})
	s.keys.Delete(id)
	return err
}

// KeyCreate generates and stores a new AccessKey pair for account.
func (s *Service) KeyCreate(ctx context.Context, account string) (id, secretValue string, err error) {
	b := make([]byte, 33)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	id = "LTAI" + strings.ToUpper(fmt.Sprintf("%x", b[:10]))
	secretValue = base64.RawURLEncoding.EncodeToString(b[10:])
	return id, secretValue, s.KeyRegister(ctx, account, id, secretValue)
}

// KeyCount returns how many AccessKeys exist.
func (s *Service) KeyCount(ctx context.Context) (int, error) {
	ks, err := s.st.AccessKeyList(ctx)
	return len(ks), err
}

// KeyInfo describes an AccessKey without its secret.
type KeyInfo struct {
	ID      string
	Account string
	Active  bool
	Created time.Time
}

// KeyList describes every AccessKey, oldest first.
func (s *Service) KeyList(ctx context.Context) ([]KeyInfo, error) {
	ks, err := s.st.AccessKeyList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, len(ks))
	for i, k := range ks {
		out[i] = KeyInfo{ID: k.ID, Account: k.AccountID, Active: k.Active, Created: k.Created}
	}
	return out, nil
}

// KeySetActive enables or disables an AccessKey. Every server stops
// trusting its cached copy of the key within the key cache's TTL.
func (s *Service) KeySetActive(ctx context.Context, id string, active bool) error {
	err := s.st.InTx(ctx, func(q store.Querier) error {
		k, err := q.AccessKeyGet(ctx, id)
		if err != nil {
			return err
		}
		k.Active = active
		return q.AccessKeyPut(ctx, k)
	})
	s.keys.Delete(id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("access key %s: %w", id, ErrKeyNotFound)
	}
	return err
}
