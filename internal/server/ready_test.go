package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// refusingWrites is a store that answers pings and reads but, while full
// is set, refuses writes as SQLite on a full disk does.
type refusingWrites struct {
	store.Store
	full atomic.Bool
}

func (s *refusingWrites) MetaSet(ctx context.Context, name, value string) error {
	if s.full.Load() {
		return errors.New("database or disk is full")
	}
	return s.Store.MetaSet(ctx, name, value)
}

// /readyz answered 200 while every write failed.
func TestReadyzFailsWhileWritesFail(t *testing.T) {
	srv, err := openServer(t, filepath.Join(t.TempDir(), "ackup.db"), filepath.Join(t.TempDir(), "ackup.key"))
	if err != nil {
		t.Fatal(err)
	}
	st := &refusingWrites{Store: srv.Store}
	now := time.Unix(1_800_000_000, 0)
	srv.ready.st, srv.ready.now = st, func() time.Time { return now }
	readyz := func() int {
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	if code := readyz(); code != http.StatusOK {
		t.Fatalf("readyz on a healthy store: %d", code)
	}
	st.full.Store(true)
	now = now.Add(readyProbeTTL)
	if code := readyz(); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz while writes fail: %d, want 503", code)
	}
	st.full.Store(false)
	if code := readyz(); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz within the probe's TTL: %d, want the cached 503", code)
	}
	now = now.Add(readyProbeTTL)
	if code := readyz(); code != http.StatusOK {
		t.Fatalf("readyz once writes are accepted again: %d, want 200", code)
	}
}
