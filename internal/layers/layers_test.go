package layers_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ackup/ackup"

// layers ranks ackup's packages from the bottom: a package may import only
// packages of a lower rank, or of its own family (the package named here
// and those below it in the tree, such as store/sqlite under store). A
// package of ackup that is not listed fails the test, so a new package has
// to be placed.
var layers = []struct {
	rank     int
	families []string
}{
	{0, []string{"internal/upgrade", "internal/secret", "internal/tlsca", "internal/kubecfg", "internal/layers"}},
	{1, []string{"internal/store", "internal/executor"}},
	{2, []string{"internal/engine", "internal/service", "internal/sign", "internal/metrics"}},
	{3, []string{"internal/api", "internal/console"}},
	{4, []string{"internal/server"}},
	{5, []string{"internal/bench"}},
	{6, []string{"cmd/ackup", "internal/e2e", "examples"}},
}

// only names, for imports that must stay in a few places, the prefixes of
// the importers allowed.
var only = []struct {
	imported string // an import path prefix
	why      string
	allowed  []string // importer prefixes (module-relative)
}{
	{"k8s.io/", "only the Kubernetes executor talks to Kubernetes", []string{"internal/executor/kube"}},
	{module + "/internal/store/sqlite", "the assembly picks the storage driver", []string{"internal/server", "internal/store/sqlite"}},
	{module + "/internal/store/postgres", "the assembly picks the storage driver", []string{"internal/server", "internal/store/postgres"}},
	{"modernc.org/sqlite", "only the SQLite driver speaks SQLite", []string{"internal/store/sqlite"}},
	{"github.com/jackc/pgx", "only the PostgreSQL driver speaks PostgreSQL", []string{"internal/store/postgres"}},
	{module + "/internal/executor/sim", "the assembly picks the executor", []string{"internal/server", "internal/executor/sim", "internal/bench"}},
	{module + "/internal/executor/kube", "the assembly picks the executor", []string{"internal/server", "internal/executor/kube"}},
}

// pkg is what the test reads of `go list -json`.
type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string // of the package's non-test files
}

// listPackages returns every package of the module.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Name,Doc,Imports", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; the test is not looking at the module", len(pkgs))
	}
	return pkgs
}

// rel is path relative to the module, "" for a path outside it.
func rel(path string) string {
	if path == module {
		return "."
	}
	r, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	return r
}

// under reports whether the module-relative path p is prefix or below it.
func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// place returns p's rank and family, ok false when no layer lists it.
func place(p string) (rank int, family string, ok bool) {
	for _, l := range layers {
		for _, f := range l.families {
			if under(p, f) {
				return l.rank, f, true
			}
		}
	}
	return 0, "", false
}

// layerViolations lists the imports of pkgs that break the layering.
func layerViolations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		from := rel(p.ImportPath)
		rank, family, ok := place(from)
		if !ok {
			out = append(out, fmt.Sprintf("package %s is in no layer: place it in internal/layers/layers_test.go and docs/architecture.md", from))
			continue
		}
		for _, imp := range p.Imports {
			to := rel(imp)
			if to == "" {
				continue
			}
			trank, tfamily, ok := place(to)
			if !ok {
				continue // reported as a package of its own
			}
			if tfamily != family && trank >= rank {
				out = append(out, fmt.Sprintf("%s (layer %d) imports %s (layer %d): a package may import only lower layers; move the type it needs down", from, rank, to, trank))
			}
		}
	}
	return out
}

// misplacedImports lists the imports of pkgs that only a few packages may
// make.
func misplacedImports(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		from := rel(p.ImportPath)
		for _, imp := range p.Imports {
			for _, o := range only {
				if !strings.HasPrefix(imp, o.imported) {
					continue
				}
				allowed := false
				for _, a := range o.allowed {
					allowed = allowed || under(from, a)
				}
				if !allowed {
					out = append(out, fmt.Sprintf("%s imports %s: %s (allowed in %v)", from, imp, o.why, o.allowed))
				}
			}
		}
	}
	return out
}

func TestLayers(t *testing.T) {
	for _, v := range layerViolations(listPackages(t)) {
		t.Error(v)
	}
}

func TestImportsStayPut(t *testing.T) {
	for _, v := range misplacedImports(listPackages(t)) {
		t.Error(v)
	}
}

// TestFenceCatchesLeaks feeds the checks the leaks they exist for, so that
// a rule that stopped working would be noticed.
func TestFenceCatchesLeaks(t *testing.T) {
	leaks := []pkg{
		{ImportPath: module + "/internal/api", Imports: []string{module + "/internal/server"}},
		{ImportPath: module + "/internal/store", Imports: []string{module + "/internal/engine"}},
		{ImportPath: module + "/internal/upgrade", Imports: []string{module + "/internal/store"}},
		{ImportPath: module + "/internal/engine", Imports: []string{module + "/internal/service"}},
		{ImportPath: module + "/internal/newthing"},
	}
	if got := layerViolations(leaks); len(got) != len(leaks) {
		t.Errorf("layer check found %d of %d leaks: %q", len(got), len(leaks), got)
	}
	misplaced := []pkg{
		{ImportPath: module + "/internal/service", Imports: []string{"k8s.io/client-go/kubernetes"}},
		{ImportPath: module + "/internal/api", Imports: []string{module + "/internal/store/sqlite"}},
		{ImportPath: module + "/internal/engine", Imports: []string{"github.com/jackc/pgx/v5"}},
		{ImportPath: module + "/internal/console", Imports: []string{module + "/internal/executor/sim"}},
	}
	if got := misplacedImports(misplaced); len(got) != len(misplaced) {
		t.Errorf("import check found %d of %d misplaced imports: %q", len(got), len(misplaced), got)
	}
	fine := []pkg{
		{ImportPath: module + "/internal/store/sqlite", Imports: []string{module + "/internal/store", "modernc.org/sqlite"}},
		{ImportPath: module + "/internal/server", Imports: []string{module + "/internal/store/postgres", module + "/internal/executor/kube"}},
		{ImportPath: module + "/internal/executor/kube", Imports: []string{"k8s.io/client-go/kubernetes", module + "/internal/executor"}},
	}
	if got := append(layerViolations(fine), misplacedImports(fine)...); len(got) > 0 {
		t.Errorf("the checks refuse allowed imports: %q", got)
	}
}
func TestPackagesHaveDocComments(t *testing.T) {
	for _, p := range listPackages(t) {
		want := "Package " + p.Name + " "
		if p.Name == "main" {
			want = "" // a command's doc starts with its name, as go doc shows it
		}
		if p.Doc == "" || !strings.HasPrefix(p.Doc, want) {
			t.Errorf("package %s has no doc comment starting %q (got %q)", rel(p.ImportPath), want, p.Doc)
		}
	}
}
