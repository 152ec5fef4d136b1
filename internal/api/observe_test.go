package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// observation is one call of Config.Observe.
type observation struct {
	op, code string
	status   int
}

// observer records what Config.Observe and Config.AuthFailed are told.
type observer struct {
	mu      sync.Mutex
	seen    []observation
	reasons []string
}

func (o *observer) observe(op, code string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, observation{op, code, status})
}

func (o *observer) authFailed(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reasons = append(o.reasons, reason)
}

func TestObserveHooks(t *testing.T) {
	t.Parallel()
	o := &observer{}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("ackup_up 1\n"))
	})
	h, err := New(Config{Backend: newFakeBackend(), Authenticate: testAuthenticate, Logger: discardLogger(),
		Observe: o.observe, AuthFailed: o.authFailed, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	send := func(target, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("Accept", "application/json")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	send("/api/v2/clusters/c1/upgrade/status", testAccount)
	send("/api/v2/clusters/c-missing/upgrade/status", testAccount)
	send("/api/v2/clusters/c1/upgrade/status", "bad")
	send("/clusters/c1", "")
	send("/healthz", "")
	send("/no/such/route", testAccount)
	w := send("/metrics", "")
	if w.Code != http.StatusOK || w.Body.String() != "ackup_up 1\n" {
		t.Errorf("GET /metrics without credentials: %d %q", w.Code, w.Body)
	}

	want := []observation{
		{"GetUpgradeStatus", "", 200},
		{"GetUpgradeStatus", "ErrorClusterNotFound", 404},
		{"GetUpgradeStatus", "SignatureDoesNotMatch", 400},
		{"DescribeClusterDetail", "IncompleteSignature", 400},
	}
	if !slices.Equal(o.seen, want) {
		t.Errorf("observed\n %v\nwant\n %v", o.seen, want)
	}
	if want := []string{"SignatureDoesNotMatch", "IncompleteSignature"}; !slices.Equal(o.reasons, want) {
		t.Errorf("auth failures %v, want %v", o.reasons, want)
	}
}

func TestObservePanic(t *testing.T) {
	t.Parallel()
	o := &observer{}
	backend := &panicking{fakeBackend: newFakeBackend()}
	h, err := New(Config{Backend: backend, Authenticate: testAuthenticate, Logger: discardLogger(), Observe: o.observe})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/v2/clusters/c1/upgrade/status", nil)
	r.Header.Set("Authorization", testAccount)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if want := []observation{{"GetUpgradeStatus", "InternalError", 500}}; !slices.Equal(o.seen, want) {
		t.Errorf("observed %v, want %v", o.seen, want)
	}
}

// panicking is a backend whose UpgradeStatus panics.
type panicking struct{ *fakeBackend }

func (*panicking) UpgradeStatus(context.Context, string, string) (upgrade.UpgradeStatus, error) {
	panic("boom")
}

func TestNewRequestIDForm(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
			t.Fatalf("request id %q is not in 8-4-4-4-12 form", id)
		}
		for i, c := range id {
			if i != 8 && i != 13 && i != 18 && i != 23 && !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
				t.Fatalf("request id %q has %q", id, c)
			}
		}
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}
