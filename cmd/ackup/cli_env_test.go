package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ackup/ackup/internal/server"
)

// The AccessKey pair the test servers accept; the client reads it from an
// aliyun CLI config file, so that tests never depend on the environment.
const (
	testKeyID     = "LTAItestackupcli"
	testKeySecret = "ackupClientTestSecret0123456789"
	testProfile   = "ackup-test"
)

// testEnv is a running in-process server and a client configuration for it.
type testEnv struct {
	t      *testing.T
	addr   string
	config string // aliyun CLI config file with testProfile
}

// result is what one client invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// startServer starts the real server on a free loopback port with its own
// database; speed is the simulator's speed.
func startServer(t *testing.T, speed float64) *testEnv {
	t.Helper()
	return startServerWith(t, func(c *server.Config) { c.SimSpeed = speed })
}

// startServerWith is startServer with the server's Config adjusted by
// configure before it opens.
func startServerWith(t *testing.T, configure func(*server.Config)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	cfg := server.Config{
		Addr: "127.0.0.1:0", DB: filepath.Join(dir, "ackup.db"), SimSpeed: 1,
		AccessKeyID: testKeyID, AccessKeySecret: testKeySecret,
		Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	configure(&cfg)
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	config := filepath.Join(dir, "config.json")
	writeAliyunConfig(t, config, testProfile, testKeyID, testKeySecret)
	return &testEnv{t: t, addr: srv.Addr(), config: config}
}

// testLog shows the server's warnings and errors in the test's log, so
// that an InternalError answered to the client can be traced.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("server: %s", bytes.TrimSpace(p))
	return len(p), nil
}

// writeAliyunConfig writes an aliyun CLI config file with one AK profile.
func writeAliyunConfig(t *testing.T, path, profile, id, secret string) {
	t.Helper()
	cfg := fmt.Sprintf(`{"current":%q,"profiles":[{"name":%q,"mode":"AK","access_key_id":%q,"access_key_secret":%q,"region_id":"cn-hangzhou"}]}`,
		profile, profile, id, secret)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// connArgs are the flags that point a client at the test server.
func (e *testEnv) connArgs() []string {
	return []string{"--endpoint", e.addr, "--config-path", e.config, "--profile", testProfile}
}

// run runs "ackup args..." against the server.
func (e *testEnv) run(args ...string) result {
	e.t.Helper()
	return e.runCtx(context.Background(), args...)
}

func (e *testEnv) runCtx(ctx context.Context, args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, append(append([]string{}, args...), e.connArgs()...), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// runRaw runs "ackup args..." without the connection flags.
func (e *testEnv) runRaw(args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return result{out.String(), errb.String(), code}
}

// ok runs a command that must succeed and returns its stdout.
func (e *testEnv) ok(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("ackup %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// okJSON runs a command with --output json and decodes its stdout into v.
func (e *testEnv) okJSON(v any, args ...string) {
	e.t.Helper()
	out := e.ok(append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("ackup %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// createCluster creates a running cluster and returns its id.
func (e *testEnv) createCluster(args ...string) string {
	e.t.Helper()
	var created struct {
		ClusterID string `json:"cluster_id"`
		TaskID    string `json:"task_id"`
		RequestID string `json:"request_id"`
	}
	e.okJSON(&created, append([]string{"cluster", "create", "--wait", "--interval", "20ms"}, args...)...)
	if !regexp.MustCompile(`^c[0-9a-f]{32}$`).MatchString(created.ClusterID) || created.TaskID == "" || created.RequestID == "" {
		e.t.Fatalf("cluster create answered %+v", created)
	}
	return created.ClusterID
}

// assertFits fails unless every line of out fits an 80-column terminal.
func assertFits(t *testing.T, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > maxWidth {
			t.Errorf("line of %d columns:\n%s", n, l)
		}
	}
}

// requestIDError matches the stderr of an API error.
var requestIDError = regexp.MustCompile(`(?s)^ackup: ([A-Za-z.]+): (.+) \(request id ([0-9A-Za-z-]+)\)\n$`)

// assertAPIError checks exit code 1 and the stderr format with the code.
func assertAPIError(t *testing.T, r result, code string) {
	t.Helper()
	if r.code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr: %s", r.code, exitFailed, r.stderr)
	}
	m := requestIDError.FindStringSubmatch(r.stderr)
	if m == nil || m[1] != code {
		t.Fatalf("stderr %q, want 'ackup: %s: <message> (request id <id>)'", r.stderr, code)
	}
}
