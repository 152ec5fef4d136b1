package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/upgrade"
)

const (
	testKeyID     = "LTAItestServerKey01"
	testKeySecret = "server-test-secret-01"
)

// openServer opens (without starting) a server on db with the key file,
// registering the test AccessKey, and closes it at cleanup.
func openServer(t *testing.T, db, keyFile string) (*Server, error) {
	t.Helper()
	srv, err := Open(t.Context(), Config{DB: db, KeyFile: keyFile, AccessKeyID: testKeyID, AccessKeySecret: testKeySecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		t.Cleanup(func() { srv.Shutdown(context.Background()) })
	}
	return srv, err
}

// keyDatabases runs f on a fresh SQLite file and, when PostgreSQL is
// available, on a fresh PostgreSQL schema.
func keyDatabases(t *testing.T, f func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "ackup.db")) })
	t.Run("postgres", func(t *testing.T) { f(t, testPostgresSchema(t)) })
}

// A replica started with another key file (or none: ./ackup.key) must
// refuse to start rather than re-seal the default AccessKey with its own
// key, which made every correctly configured replica answer 500.
func TestOpenRefusesAnotherServerKey(t *testing.T) {
	keyDatabases(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		good, other := filepath.Join(dir, "good.key"), filepath.Join(dir, "other.key")
		first, err := openServer(t, db, good)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := secret.LoadOrCreateKey(other); err != nil {
			t.Fatal(err)
		}
		_, err = openServer(t, db, other)
		if !errors.Is(err, ErrServerKeyMismatch) {
			t.Fatalf("open with another key: %v, want ErrServerKeyMismatch", err)
		}
		if !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "rotate-server-key") {
			t.Errorf("error %q names neither the key file nor what to do", err)
		}
		// The refused replica changed nothing: the first one still opens
		// the AccessKey's secret.
		sec, active, err := first.Service.Secret(t.Context(), testKeyID)
		if err != nil || !active || sec != testKeySecret {
			t.Fatalf("first replica's key after the refused start: %q %v %v", sec, active, err)
		}
		if _, err := openServer(t, db, good); err != nil {
			t.Fatalf("open again with the right key: %v", err)
		}
	})
}

// A deleted key file must not be recreated for a database that already
// holds sealed secrets.
func TestOpenRefusesMissingKeyForSealedData(t *testing.T) {
	keyDatabases(t, func(t *testing.T, db string) {
		keyFile := filepath.Join(t.TempDir(), "ackup.key")
		srv, err := openServer(t, db, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		srv.Shutdown(context.Background())
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		_, err = openServer(t, db, keyFile)
		if !errors.Is(err, ErrServerKeyMissing) {
			t.Fatalf("open without the key file: %v, want ErrServerKeyMissing", err)
		}
		if !strings.Contains(err.Error(), keyFile) {
			t.Errorf("error %q does not name the key file", err)
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a new key file was generated: %v", err)
		}
	})
}

func TestOpenServerKeyFromConfig(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ackup.db")
	keyFile := filepath.Join(t.TempDir(), "ackup.key")
	if _, err := openServer(t, db, keyFile); err != nil {
		t.Fatal(err)
	}
	key, err := secret.ReadKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Open(t.Context(), Config{DB: db, KeyFile: filepath.Join(t.TempDir(), "absent.key"), Key: key,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("open with the key given directly: %v", err)
	}
	defer srv.Shutdown(context.Background())
	if sec, _, err := srv.Service.Secret(t.Context(), testKeyID); err != nil || sec != testKeySecret {
		t.Fatalf("secret with the key given directly: %q %v", sec, err)
	}
	wrong := make([]byte, secret.KeySize)
	_, err = Open(t.Context(), Config{DB: db, Key: wrong, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if !errors.Is(err, ErrServerKeyMismatch) || !strings.Contains(err.Error(), KeyEnv) {
		t.Fatalf("open with a wrong key given directly: %v", err)
	}
}

func TestRotateServerKey(t *testing.T) {
	keyDatabases(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		oldFile, newFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
		srv, err := openServer(t, db, oldFile)
		if err != nil {
			t.Fatal(err)
		}
		oldKey, _ := secret.ReadKey(oldFile)
		oldBox, _ := secret.NewBox(oldKey)
		now := time.Now().UTC()
		c := upgrade.Cluster{ID: upgrade.NewClusterID(), AccountID: "default", State: upgrade.ClusterDeleted, Executor: upgrade.ExecutorSim,
			ExecutorConfig: oldBox.Seal([]byte("kubeconfig-of-a-deleted-cluster")), Created: now, Updated: now}
		if err := srv.Store.ClusterInsert(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		srv.Shutdown(context.Background())

		if err := RotateServerKey(t.Context(), Config{DB: db, KeyFile: oldFile}, newFile); err != nil {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := openServer(t, db, oldFile); !errors.Is(err, ErrServerKeyMismatch) {
			t.Fatalf("open with the old key after rotation: %v, want ErrServerKeyMismatch", err)
		}
		srv, err = openServer(t, db, newFile)
		if err != nil {
			t.Fatalf("open with the new key: %v", err)
		}
		if sec, active, err := srv.Service.Secret(t.Context(), testKeyID); err != nil || !active || sec != testKeySecret {
			t.Fatalf("AccessKey secret after rotation: %q %v %v", sec, active, err)
		}
		newKey, _ := secret.ReadKey(newFile)
		newBox, _ := secret.NewBox(newKey)
		sealed, err := srv.Store.SealedList(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var sawCluster bool
		for _, s := range sealed {
			plain, err := newBox.Open(s.Value)
			if err != nil {
				t.Errorf("%s %s does not open with the new key: %v", s.Kind, s.ID, err)
			}
			if s.ID == c.ID {
				sawCluster = string(plain) == "kubeconfig-of-a-deleted-cluster"
			}
		}
		if !sawCluster {
			t.Error("the deleted cluster's executor configuration was not re-sealed")
		}
		if err := RotateServerKey(t.Context(), Config{DB: db, KeyFile: oldFile}, filepath.Join(dir, "third.key")); !errors.Is(err, ErrServerKeyMismatch) {
			t.Errorf("rotation from a key no longer in use: %v", err)
		}
	})
}

func TestRedactDB(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ackup.db", "ackup.db"},
		{"/var/lib/ackup/p@ss.db", "/var/lib/ackup/p@ss.db"},
		{"postgres://ackup:hunter2@db:5432/ackup?sslmode=disable", "postgres://ackup:xxxxx@db:5432/ackup?sslmode=disable"},
		{"postgresql://ackup@db/ackup", "postgresql://ackup@db/ackup"},
		{"postgres://db/ackup?user=ackup&password=hunter2", "postgres://db/ackup?password=xxxxx&user=ackup"},
	} {
		got := RedactDB(tt.in)
		if got != tt.want || strings.Contains(got, "hunter2") {
			t.Errorf("RedactDB(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
