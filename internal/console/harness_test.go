package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ackup/ackup/internal/console"
	"github.com/ackup/ackup/internal/server"
)

// The AccessKey pair every test server registers.
const (
	testKeyID     = "LTAIconsoletest0001"
	testKeySecret = "console-test-secret-0001"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// env is a real ackup server with the console mounted beside the API, the
// way `ackup server` serves both.
type env struct {
	srv  *server.Server
	base string // http://127.0.0.1:port, serving /console/ and the API
	host string // 127.0.0.1:port
	// apiCalls counts the requests that reached the API (not the console's
	// files).
	apiCalls atomic.Int64
}

// startServer opens a server on a temp database, starts it (engine and
// API), and serves a mux with /console/ and the API on a second loopback
// listener.
func startServer(t *testing.T, simSpeed float64) *env {
	t.Helper()
	ctx := context.Background()
	srv, err := server.Open(ctx, server.Config{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "ackup.db"), SimSpeed: simSpeed,
		AccessKeyID: testKeyID, AccessKeySecret: testKeySecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv}
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, console.Handler())
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.apiCalls.Add(1)
		srv.Handler.ServeHTTP(w, r)
	}))
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Logf("shutdown: %v", err)
		}
	})
	e.base, e.host = hs.URL, strings.TrimPrefix(hs.URL, "http://")
	return e
}

// browser is a headless Chromium tab with the console errors it logged.
type browser struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

// newBrowser starts headless Chromium with a fresh profile. Without the
// browser the test is skipped, except in CI where that is a failure.
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; .ci/run installs Debian's chromium package", chromiumPath)
		}
		t.Skipf("%s is missing: apt-get install chromium to run the browser tests", chromiumPath)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() {
				continue
			}
			// The browser logs every 4xx the console provokes on purpose.
			if strings.Contains(m.Text, "Failed to load resource") {
				continue
			}
			b.mu.Lock()
			b.errs = append(b.errs, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errs {
			t.Errorf("browser console: %s", e)
		}
	})
	return b
}

// do runs actions with a deadline.
func (b *browser) do(t *testing.T, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate in the page until it is true.
func waitFor(t *testing.T, b *browser, timeout time.Duration, predicate string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](predicate,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('main').innerText`))
		t.Fatalf("waiting %s for %s: %v\npage text:\n%s", timeout, predicate, err, text)
	}
}

// signIn opens the console and signs in with the pair.
func signIn(t *testing.T, b *browser, e *env, id, secret string) {
	t.Helper()
	b.do(t, 30*time.Second,
		chromedp.Navigate(e.base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#ak-id")),
		chromedp.SendKeys(chromedp.CSS("#ak-id"), id),
		chromedp.SendKeys(chromedp.CSS("#ak-secret"), secret),
		chromedp.Click(chromedp.CSS("#sign-in-submit")),
	)
}

// screenshot saves a PNG of the page into docs/img when
// ACKUP_UPDATE_SCREENSHOTS=1; otherwise it only checks one can be taken.
func screenshot(t *testing.T, b *browser, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if os.Getenv("ACKUP_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	path := filepath.Join("..", "..", "docs", "img", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// goTool returns the go command that builds the snippets.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command in PATH to build the Go snippet with: %v", err)
	}
	return p
}
