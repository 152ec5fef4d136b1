// Package console is ackup's web console: a static single-page client of
// the ACK API, served under /console/ from files embedded in the binary.
//
// The console has no server side of its own. The browser keeps the
// AccessKey pair in session storage, signs every call itself with
// ACS3-HMAC-SHA256 (WebCrypto) and calls the same routes every SDK calls;
// the list of operations comes from GET /api/ackup/operations, the
// description generated from the API's own route table. This package only
// serves the files, with a strict Content-Security-Policy, and so can be
// mounted beside the API on any mux:
//
//	mux.Handle("/console/", console.Handler())
//	mux.Handle("/", apiHandler)
//
// The pages are plain HTML, CSS and ES modules with no build step, so there
// is nothing generated to go stale.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/ackup/ackup/internal/upgrade"
)

//go:embed static
var files embed.FS

// Prefix is the path under which Handler serves the console.
const Prefix = "/console/"

// csp allows scripts, styles, images and fetches from the console's own
// origin only: no inline script or style, no frames, no plugins.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// contentTypes maps the extensions of the embedded files to their types;
// listed here rather than taken from the system's MIME tables so the
// answer does not depend on the machine.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".json": "application/json; charset=utf-8",
}

// asset is one embedded file, ready to serve.
type asset struct {
	body, gzipped []byte
	contentType   string
	etag          string
}

// Handler returns the handler that serves the console: index.html at
// /console/ (the pages route with the URL fragment, so the server sees no
// other page paths), the assets beside it, /console redirected to
// /console/, and 404 for anything else. Every answer carries the CSP;
// assets are revalidated with their ETag on each load (Cache-Control:
// no-cache), which keeps an upgraded server's console consistent.
func Handler() http.Handler {
	assets, err := load()
	if err != nil {
		// The files are compiled in; failing to read them is a build defect.
		panic("console: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if name == "" {
			name = "index.html"
		}
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		a.serve(w, r)
	})
}

func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gzipped != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// load reads every embedded file once, with its ETag and, where it saves
// bytes, a gzipped copy.
func load() (map[string]*asset, error) {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	assets := map[string]*asset{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		body, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		assets[p] = newAsset(body, ct)
		return nil
	})
	if err != nil {
		return nil, err
	}
	faults, err := faultsJSON()
	if err != nil {
		return nil, err
	}
	assets["faults.json"] = newAsset(faults, contentTypes[".json"])
	assets["domain.js"] = newAsset(domainJS(), contentTypes[".js"])
	return assets, nil
}

// domainJS is a module with the domain's names the console reads in API
// bodies (stages, node steps, pool states, task states), written from
// package upgrade so that the console and the engine cannot drift.
func domainJS() []byte {
	domain := map[string]any{
		"stages": map[string]string{"precheck": upgrade.StagePrecheck, "controlPlane": upgrade.StageControlPlane,
			"nodePools": upgrade.StageNodePools, "createCluster": upgrade.StageCreateCluster},
		"nodeSteps": map[string]upgrade.NodeStep{"cordon": upgrade.NodeCordon, "drain": upgrade.NodeDrain, "upgrade": upgrade.NodeUpgrade,
			"ready": upgrade.NodeReadying, "uncordon": upgrade.NodeUncordon, "done": upgrade.NodeDone, "skipped": upgrade.NodeSkipped},
		"poolStates": map[string]string{"waiting": upgrade.PoolWaiting, "upgrading": upgrade.PoolUpgrading, "done": upgrade.PoolDone},
		"taskStates": map[string]upgrade.TaskState{"running": upgrade.TaskRunning, "paused": upgrade.TaskPaused, "success": upgrade.TaskSuccess,
			"failed": upgrade.TaskFailed, "canceled": upgrade.TaskCanceled},
		"taskTypes": map[string]upgrade.TaskType{"clusterUpgrade": upgrade.TaskClusterUpgrade, "nodePoolUpgrade": upgrade.TaskNodePoolUpgrade},
	}
	b, err := json.Marshal(domain)
	if err != nil {
		panic(err) // only strings
	}
	return []byte("// Written by the server from package upgrade: the names the API's bodies use.\nexport const DOMAIN = Object.freeze(" + string(b) + ");\n")
}

// newAsset prepares a file for serving.
func newAsset(body []byte, contentType string) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if contentType != "image/png" {
		a.gzipped = compress(body)
	}
	return a
}

// faultsJSON describes the simulator's fault tags for the create form, from
// the simulator's own list so the two cannot drift.
func faultsJSON() ([]byte, error) {
	type fault struct {
		Key         string `json:"key"`
		Example     string `json:"example"`
		Description string `json:"description"`
	}
	out := make([]fault, 0, len(upgrade.FaultTags))
	for _, f := range upgrade.FaultTags {
		out = append(out, fault{Key: f.Key, Example: f.Example, Description: f.Description})
	}
	return json.Marshal(out)
}

// compress gzips b, or returns nil when that would not make it smaller.
func compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip (a
// "gzip;q=0" refuses it).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
