package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ackup/ackup/internal/upgrade"
)

// countingReader counts the bytes taken from it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestBodyOverLimitByContentLengthIsRefusedBeforeReading(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	body := &countingReader{r: strings.NewReader(strings.Repeat(" ", 2<<20))}
	r := httptest.NewRequest("POST", "/clusters", body)
	r.ContentLength = 2 << 20
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Authorization", testAccount)
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if n := body.n.Load(); n != 0 {
		t.Errorf("%d bytes of the body were read", n)
	}
	m := decodeMap(t, w)
	if m["code"] != "RequestEntityTooLarge" || m["requestId"] != testRequestID || m["status"] != float64(413) ||
		w.Header().Get("x-acs-request-id") != testRequestID {
		t.Errorf("body %v", m)
	}
	if ts.backend.lastOp != "" {
		t.Errorf("backend was called: %s", ts.backend.lastOp)
	}
}

func TestChunkedBodyOverLimitStopsReadingAtTheLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	body := &countingReader{r: strings.NewReader(strings.Repeat(" ", 4<<20))}
	r := httptest.NewRequest("POST", "/clusters", body)
	r.ContentLength = -1 // chunked: the size is unknown up front
	r.Header.Set("Authorization", testAccount)
	r.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if n := body.n.Load(); n > maxBodyBytes+64<<10 {
		t.Errorf("read %d bytes, far past the limit", n)
	}
}

func TestBodyAtTheLimitIsAccepted(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	js := `{"name":"demo","region_id":"cn-hangzhou"}`
	w := ts.do("POST", "/clusters", js+strings.Repeat(" ", maxBodyBytes-len(js)))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func TestPanicAnswers500AndTheServerKeepsServing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.backend.panicOn = "UpgradeStatus"
	srv := httptest.NewServer(ts.h)
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", testAccount)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/api/v2/clusters/c1/upgrade/status")
	want := `{"code":"InternalError","message":"` + internalMessage + `","requestId":"` + testRequestID + `","status":500,` +
		`"Code":"InternalError","Message":"` + internalMessage + `","RequestId":"` + testRequestID + `"}`
	if resp.StatusCode != 500 || body != want || resp.Header.Get("x-acs-request-id") != testRequestID {
		t.Errorf("panic answered %d %s", resp.StatusCode, body)
	}
	if resp, body := get("/tasks/T-1"); resp.StatusCode != 200 {
		t.Errorf("next request: %d %s", resp.StatusCode, body)
	}
	logs := ts.logs.String()
	for _, want := range []string{"panic serving request", "boom in UpgradeStatus", "goroutine", "request_id=" + testRequestID, "status=500"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestAccessLogHasOneLinePerRequestWithoutSecrets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	w := ts.doWith("GET", "/clusters/c1/tasks?page_size=5&token=query-secret", "", http.Header{
		"Accept": {"application/json"}, "Authorization": {testAccount}, "X-Acs-Security-Token": {"header-secret"}})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	logs := ts.logs.String()
	if n := strings.Count(logs, "msg=request "); n != 1 {
		t.Errorf("%d access log lines:\n%s", n, logs)
	}
	for _, want := range []string{"method=GET", "path=/clusters/c1/tasks", "status=200", "duration=", "request_id=" + testRequestID, "action=DescribeClusterTasks", "account=" + testAccount} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"query-secret", "header-secret"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestAuthenticateSeesTheWireForm(t *testing.T) {
	t.Parallel()
	var got *AuthRequest
	var gotBody []byte
	h, err := New(Config{Backend: newFakeBackend(), Logger: discardLogger(),
		Authenticate: func(_ context.Context, r *AuthRequest) (string, error) {
			got = r
			b, err := r.ReadBody()
			gotBody = b
			return testAccount, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"options":{"a":"b"},"type":"ClusterUpgrade"}`
	r := httptest.NewRequest("POST", "http://cs.cn-hangzhou.aliyuncs.com:8080/clusters/c%2F1/checks?x=a+b%2A&y", strings.NewReader(body))
	r.Header.Set("X-Acs-Date", "2024-01-01T00:00:00Z")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got == nil {
		t.Fatal("Authenticate not called")
	}
	if got.Method != "POST" || got.Host != "cs.cn-hangzhou.aliyuncs.com:8080" || got.RawPath != "/clusters/c%2F1/checks" ||
		got.RawQuery != "x=a+b%2A&y" || string(gotBody) != body || got.ContentLength != int64(len(body)) || got.Header.Get("X-Acs-Date") != "2024-01-01T00:00:00Z" {
		t.Errorf("AuthRequest %+v", got)
	}
}

// ctxBackend records what the context tells a backend call.
type ctxBackend struct {
	*fakeBackend
	account, requestID string
}

func (b *ctxBackend) UpgradeStatus(ctx context.Context, account, id string) (upgrade.UpgradeStatus, error) {
	b.account, b.requestID = Account(ctx), RequestID(ctx)
	return b.fakeBackend.UpgradeStatus(ctx, account, id)
}

func TestAccountAndRequestIDAreInTheContext(t *testing.T) {
	t.Parallel()
	b := &ctxBackend{fakeBackend: newFakeBackend()}
	h, err := New(Config{Backend: b, Authenticate: testAuthenticate, Logger: discardLogger(),
		NewRequestID: func() string { return "RID-1" }})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/v2/clusters/c1/upgrade/status", nil)
	r.Header.Set("Authorization", "acct-7")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if b.account != "acct-7" || b.requestID != "RID-1" {
		t.Errorf("context had account %q, request id %q", b.account, b.requestID)
	}
	if Account(context.Background()) != "" || RequestID(context.Background()) != "" {
		t.Error("values outside a request")
	}
}

func TestAuthenticationRunsOnEveryAPIRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tc := range opCases {
		w := ts.doWith(tc.method, tc.target, tc.body, http.Header{"Accept": {"application/json"}})
		if w.Code != http.StatusBadRequest || decodeMap(t, w)["Code"] != "IncompleteSignature" {
			t.Errorf("%s without a signature: %d %s", tc.op, w.Code, w.Body)
		}
	}
	if ts.backend.lastOp != "" {
		t.Errorf("backend called without authentication: %s", ts.backend.lastOp)
	}
}

func TestIsCleanPath(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"/": true, "/a/b": true, "/a/b/": true, "/a%2F..%2Fb": true,
		"": false, "a": false, "//a": false, "/a/../b": false, "/a/./b": false, "/a//b": false,
	} {
		if got := isCleanPath(p); got != want {
			t.Errorf("isCleanPath(%q) = %v", p, got)
		}
	}
}

// statusOnly is the cheapest possible backend for GetUpgradeStatus, so the
// benchmark measures the HTTP layer.
type statusOnly struct {
	*fakeBackend
	st upgrade.UpgradeStatus
}

func (b *statusOnly) UpgradeStatus(context.Context, string, string) (upgrade.UpgradeStatus, error) {
	return b.st, nil
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// does not measure a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func BenchmarkGetUpgradeStatusHandler(b *testing.B) {
	backend := &statusOnly{fakeBackend: newFakeBackend(), st: newFakeBackend().status["c1"]}
	h, err := New(Config{Backend: backend, Logger: discardLogger(),
		Authenticate: func(context.Context, *AuthRequest) (string, error) { return testAccount, nil }})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade/status", nil)
	r.Header.Set("Accept", "application/json")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}
