package console_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/console"
	"github.com/ackup/ackup/internal/upgrade"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func TestHandlerServesFiles(t *testing.T) {
	t.Parallel()
	h := console.Handler()
	for _, tc := range []struct {
		path, contentType string
	}{
		{"/console/", "text/html; charset=utf-8"},
		{"/console/index.html", "text/html; charset=utf-8"},
		{"/console/app.js", "text/javascript; charset=utf-8"},
		{"/console/sign.js", "text/javascript; charset=utf-8"},
		{"/console/style.css", "text/css; charset=utf-8"},
		{"/console/favicon.svg", "image/svg+xml"},
		{"/console/faults.json", "application/json; charset=utf-8"},
	} {
		resp := get(t, h, http.MethodGet, tc.path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", tc.path, resp.StatusCode)
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != tc.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.contentType)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: CSP allows something unsafe: %q", tc.path, csp)
		}
		if resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("ETag") == "" {
			t.Errorf("GET %s: Cache-Control %q, ETag %q", tc.path, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", tc.path)
		}
	}
}

func TestHandlerRevalidatesAndCompresses(t *testing.T) {
	t.Parallel()
	h := console.Handler()
	first := get(t, h, http.MethodGet, "/console/app.js", nil)
	plain, _ := io.ReadAll(first.Body)
	etag := first.Header.Get("ETag")
	if again := get(t, h, http.MethodGet, "/console/app.js", http.Header{"If-None-Match": {etag}}); again.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d, want 304", again.StatusCode)
	}
	z := get(t, h, http.MethodGet, "/console/app.js", http.Header{"Accept-Encoding": {"gzip, br"}})
	if z.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", z.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(z.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if string(unzipped) != string(plain) {
		t.Error("the gzipped body differs from the plain one")
	}
	if refused := get(t, h, http.MethodGet, "/console/app.js", http.Header{"Accept-Encoding": {"gzip;q=0"}}); refused.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
}

func TestHandlerRoutes(t *testing.T) {
	t.Parallel()
	h := console.Handler()
	if resp := get(t, h, http.MethodGet, "/console", nil); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{"/console/nope.js", "/console/static/app.js", "/elsewhere"} {
		if resp := get(t, h, http.MethodGet, p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp := get(t, h, http.MethodPost, "/console/", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/: %d, want 405", resp.StatusCode)
	}
	if resp := get(t, h, http.MethodHead, "/console/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /console/: %d", resp.StatusCode)
	}
}

// The CSP forbids inline code, so the files must have none: no inline
// script or style, no event-handler attributes, and every module import
// must name a file that is served.
func TestStaticFilesNeedNoInlineCode(t *testing.T) {
	t.Parallel()
	files := os.DirFS("static")
	html, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAll(html, -1) {
		if !strings.Contains(string(tag), " src=") {
			t.Errorf("index.html has an inline script: %s", tag)
		}
	}
	if loc := regexp.MustCompile(`\sstyle=|\son[a-z]+=|<style`).FindIndex(html); loc != nil {
		t.Errorf("index.html has inline style or handlers: %q", html[loc[0]:loc[1]])
	}
	h := console.Handler()
	imports := regexp.MustCompile(`from '\./([a-z]+\.js)'|import\('\./([a-z]+\.js)'\)`)
	js, _ := fs.Glob(files, "*.js")
	for _, name := range js {
		src, _ := fs.ReadFile(files, name)
		if strings.Contains(string(src), "innerHTML") || strings.Contains(string(src), "eval(") {
			t.Errorf("%s builds HTML from strings or evaluates code", name)
		}
		for _, m := range imports.FindAllStringSubmatch(string(src), -1) {
			dep := m[1] + m[2]
			if resp := get(t, h, http.MethodGet, "/console/"+dep, nil); resp.StatusCode != http.StatusOK {
				t.Errorf("%s imports %s, which is not served (%d)", name, dep, resp.StatusCode)
			}
		}
	}
}

func TestFaultsComeFromTheSimulator(t *testing.T) {
	t.Parallel()
	resp := get(t, console.Handler(), http.MethodGet, "/console/faults.json", nil)
	var got []struct{ Key, Example, Description string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(upgrade.FaultTags) {
		t.Fatalf("faults.json has %d tags, the simulator %d", len(got), len(upgrade.FaultTags))
	}
	for i, f := range upgrade.FaultTags {
		if got[i].Key != f.Key || got[i].Example != f.Example || got[i].Description != f.Description {
			t.Errorf("fault %d: %+v, want %+v", i, got[i], f)
		}
	}
}

// Every code the console explains, and every code of the API's error
// table, has a section in docs/errors.md whose anchor follows the rule the
// links use: the code in lower case without dots.
func TestErrorsDocCoversTheCodes(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^### ([A-Za-z.]+)\s*$`).FindAllStringSubmatch(string(doc), -1) {
		a := strings.ToLower(strings.ReplaceAll(m[1], ".", ""))
		if anchors[a] {
			t.Errorf("docs/errors.md has two sections for %s", m[1])
		}
		anchors[a] = true
	}
	codes := []string{
		"ErrorClusterNotFound", "ErrorNodePoolNotFound", "ErrorTaskNotFound", "ErrorCheckNotFound", "NotFound",
		"ErrorClusterState", "ErrorTaskState", "InvalidParameter", "MissingParameter", "RequestEntityTooLarge",
		"InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "IncompleteSignature", "SignatureDoesNotMatch",
		"InvalidTimeStamp.Expired", "SignatureNonceUsed", "Throttling.User", "InternalError", "ServiceUnavailable",
		"InvalidAction.NotFound", "UnsupportedHTTPMethod",
	}
	js, err := os.ReadFile("static/errors.js")
	if err != nil {
		t.Fatal(err)
	}
	advice := js[strings.Index(string(js), "const ADVICE"):]
	advice = advice[:strings.Index(string(advice), "};")]
	for _, m := range regexp.MustCompile(`(?m)^\s+'?([A-Za-z.]+)'?: `).FindAllSubmatch(advice, -1) {
		codes = append(codes, string(m[1]))
	}
	for _, c := range codes {
		if !anchors[strings.ToLower(strings.ReplaceAll(c, ".", ""))] {
			t.Errorf("docs/errors.md has no section for %s", c)
		}
	}
}
