package server

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/store"
)

// The server key seals every secret the database holds, and every replica
// must use the same one. A server started with another key would seal new
// secrets that its peers cannot open and fail on the old ones, so the
// database records the key's fingerprint when it is first initialised and
// a server whose key does not match refuses to start.

// Errors Open returns about the server key; test with errors.Is.
var (
	// ErrServerKeyMismatch: the key is not the one the database's secrets
	// are sealed with.
	ErrServerKeyMismatch = errors.New("server key does not match the database")
	// ErrServerKeyMissing: there is no key file, but the database already
	// holds secrets sealed with a key.
	ErrServerKeyMissing = errors.New("server key missing for a database that has one")
)

// KeyEnv is the environment variable that may carry the server key, in
// standard base64, instead of a key file (for containers and replicas).
const KeyEnv = "ACKUP_SERVER_KEY"

// keySource says where a server key comes from, for messages.
func (c *Config) keySource() string {
	if c.Key != nil {
		return "the " + KeyEnv + " environment variable"
	}
	return "key file " + c.KeyFile
}

// loadServerKey returns the box of the configured server key after
// checking it against the fingerprint st records. create allows generating
// a key file for a database that holds no secret yet.
func loadServerKey(ctx context.Context, st store.Store, cfg Config, create bool) (*secret.Box, error) {
	recorded, err := st.MetaGet(ctx, store.MetaServerKeyFingerprint)
	hasRecord := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read server key fingerprint: %w", err)
	}
	sealed, err := st.SealedList(ctx)
	if err != nil {
		return nil, err
	}
	key := cfg.Key
	if key == nil {
		key, err = readKeyFile(cfg, hasRecord || len(sealed) > 0, create)
		if err != nil {
			return nil, err
		}
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, fmt.Errorf("server key from %s: %w", cfg.keySource(), err)
	}
	fp := secret.Fingerprint(key)
	if !hasRecord {
		// A database from before fingerprints were recorded: the key is
		// right if it opens what is sealed.
		for _, s := range sealed {
			if _, err := box.Open(s.Value); err != nil {
				return nil, mismatch(cfg)
			}
		}
		err := st.MetaInsert(ctx, store.MetaServerKeyFingerprint, fp)
		if errors.Is(err, store.ErrConflict) { // another replica initialised it first
			recorded, err = st.MetaGet(ctx, store.MetaServerKeyFingerprint)
			hasRecord = true
		}
		if err != nil {
			return nil, fmt.Errorf("record server key fingerprint: %w", err)
		}
	}
	if hasRecord && recorded != fp {
		return nil, mismatch(cfg)
	}
	return box, nil
}

func mismatch(cfg Config) error {
	return fmt.Errorf("%w: the server key from %s is not the key database %s was initialised with; "+
		"start with the key every other replica uses (--key-file or %s), or change the database's key with "+
		"'ackup key rotate-server-key'", ErrServerKeyMismatch, cfg.keySource(), RedactDB(cfg.DB), KeyEnv)
}

// readKeyFile reads the configured key file, generating it only when the
// database has no key yet and create allows it.
func readKeyFile(cfg Config, dbHasKey, create bool) ([]byte, error) {
	path := filepath.Clean(cfg.KeyFile)
	key, err := secret.ReadKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	if dbHasKey {
		return nil, fmt.Errorf("%w: key file %s does not exist, but database %s already holds secrets sealed with a server key; "+
			"restore that key file, or point --key-file (or %s) at the key the database was initialised with. "+
			"ackup never generates a new key for such a database", ErrServerKeyMissing, path, RedactDB(cfg.DB), KeyEnv)
	}
	if !create {
		return nil, fmt.Errorf("key file %s does not exist: start the server once to create it, or pass --key-file", path)
	}
	key, _, err = secret.LoadOrCreateKey(path)
	return key, err
}

// RedactDB returns a database setting fit for a log: a URL's password is
// replaced by "xxxxx" (url.URL.Redacted), and the password of a key=value
// connection string likewise. A SQLite path is returned as it is.
func RedactDB(db string) string {
	if !isPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
