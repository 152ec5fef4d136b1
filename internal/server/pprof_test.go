package server

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
)

// TestProfilesOnlyOnTheAdminAddress serves profiles on their own listener
// and checks that the API address does not serve them.
func TestProfilesOnlyOnTheAdminAddress(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	p, err := StartProfiler("127.0.0.1:0", logger)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv, err := Open(t.Context(), Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "ackup.db"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(t.Context())
	for _, c := range []struct {
		addr string
		want int
	}{{p.Addr(), http.StatusOK}, {srv.Addr(), http.StatusNotFound}} {
		resp, err := http.Get("http://" + c.addr + "/debug/pprof/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s/debug/pprof/cmdline: %s, want %d", c.addr, resp.Status, c.want)
		}
	}
}
