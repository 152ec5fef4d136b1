package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// Browser tests: headless Chromium against a real ackup server running the
// simulator. Every wait polls the page with a deadline.

func TestSignInWrongSecretExplains(t *testing.T) {
	e := startServer(t, 200)
	b := newBrowser(t, 1280, 900)
	signIn(t, b, e, testKeyID, "not-the-secret")
	waitFor(t, b, 15*time.Second, `!!document.querySelector('.error[data-code="SignatureDoesNotMatch"]')`)
	href := eval[string](t, b, `document.querySelector('.error[data-code="SignatureDoesNotMatch"] a.docs-link').href`)
	if want := "https://github.com/ackup/ackup/blob/main/docs/errors.md#signaturedoesnotmatch"; href != want {
		t.Errorf("docs link = %q, want %q", href, want)
	}
	text := eval[string](t, b, `document.querySelector('.error').innerText`)
	for _, want := range []string{"SignatureDoesNotMatch", "secret", "Request id"} {
		if !strings.Contains(text, want) {
			t.Errorf("error box lacks %q:\n%s", want, text)
		}
	}
	if got := eval[string](t, b, `sessionStorage.getItem('ackup.credentials') || ''`); got != "" {
		t.Errorf("a rejected key was kept in session storage: %s", got)
	}

	signIn(t, b, e, testKeyID, testKeySecret)
	waitFor(t, b, 15*time.Second, `!document.getElementById('nav').hidden && !!document.querySelector('#create-toggle')`)
	stored := eval[string](t, b, `sessionStorage.getItem('ackup.credentials')`)
	if !strings.Contains(stored, testKeyID) {
		t.Errorf("session storage holds %q, want the signed-in key", stored)
	}
	if got := eval[int](t, b, `localStorage.length + document.cookie.length`); got != 0 {
		t.Errorf("the console stored something outside session storage (%d)", got)
	}
}

func TestCreateClusterAndUpgrade(t *testing.T) {
	e := startServer(t, 200)
	b := newBrowser(t, 1280, 900)
	signIn(t, b, e, testKeyID, testKeySecret)
	waitFor(t, b, 15*time.Second, `!!document.querySelector('#create-toggle')`)

	// Create a cluster from the form with a fault: node 1's drain is
	// blocked for 1000 simulated seconds (5 s at speed 200).
	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#create-toggle")))
	waitFor(t, b, 15*time.Second, `document.querySelectorAll('input[data-fault]').length > 0 && document.querySelectorAll('#create-version option').length > 0`)
	b.do(t, 15*time.Second,
		chromedp.SendKeys(chromedp.CSS("#create-name"), "web-prod"),
		chromedp.Click(chromedp.CSS(`input[data-fault="`+upgrade.FaultDrainBlocked+`"]`)),
		chromedp.SetValue(chromedp.CSS(`input[data-fault-value="`+upgrade.FaultDrainBlocked+`"]`), "1"),
		chromedp.Click(chromedp.CSS(`input[data-fault="`+upgrade.FaultDrainBlockedSeconds+`"]`)),
		chromedp.SetValue(chromedp.CSS(`input[data-fault-value="`+upgrade.FaultDrainBlockedSeconds+`"]`), "1000"),
		chromedp.Click(chromedp.CSS("#create-submit")),
	)
	waitFor(t, b, 15*time.Second, `!!document.querySelector('.form-out .ok a')`)
	id := eval[string](t, b, `document.querySelector('.form-out .ok a').textContent`)
	c, err := e.srv.Service.DescribeCluster(testContext(t), service.DefaultAccount, id)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Tag(upgrade.FaultDrainBlocked); v != "1" {
		t.Errorf("cluster tags %v lack %s=1", c.Tags, upgrade.FaultDrainBlocked)
	}
	if v, _ := c.Tag(upgrade.FaultDrainBlockedSeconds); v != "1000" {
		t.Errorf("cluster tags %v lack %s=1000", c.Tags, upgrade.FaultDrainBlockedSeconds)
	}
	from := c.CurrentVersion

	// The fleet lists it; once it runs, open its page.
	waitFor(t, b, 30*time.Second, `!!document.querySelector('tr[data-cluster="`+id+`"] .badge.state-running')`)
	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS(`tr[data-cluster="`+id+`"] a`)))
	waitFor(t, b, 15*time.Second, `!!document.querySelector('#upgrade-target option[value]:not([value=""])') && !document.getElementById('btn-upgrade').disabled`)
	targets := eval[[]string](t, b, `[...document.querySelectorAll('#upgrade-target option')].map(o => o.value)`)
	for _, v := range targets {
		if err := upgrade.CheckUpgradeTarget(from, v); err != nil {
			t.Errorf("target %s offered for %s: %v", v, from, err)
		}
	}
	if len(targets) != len(upgrade.UpgradableVersions(from)) {
		t.Errorf("targets %v, want every legal one: %v", targets, upgrade.UpgradableVersions(from))
	}
	target := eval[string](t, b, `document.getElementById('upgrade-target').value`)

	// Start the upgrade and watch the bar until done, remembering every
	// value it showed.
	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#btn-upgrade")))
	waitFor(t, b, 30*time.Second, `(document.querySelector('#blocker .blocker') || {}).textContent?.includes('PodDisruptionBudget') ?? false`)
	screenshot(t, b, "cluster-upgrade.png")
	b.do(t, 15*time.Second, chromedp.Navigate(e.base+"/console/#/"))
	waitFor(t, b, 15*time.Second, `!!document.querySelector('tr[data-cluster="`+id+`"] progress')`)
	screenshot(t, b, "fleet.png")
	// The same page on a 375 px phone: nothing may be wider than the screen.
	b.do(t, 15*time.Second, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	waitFor(t, b, 15*time.Second, `document.documentElement.scrollWidth <= 375 && !!document.querySelector('tr[data-cluster="`+id+`"] progress')`)
	screenshot(t, b, "fleet-phone.png")
	b.do(t, 15*time.Second, chromedp.ResetViewport())
	b.do(t, 15*time.Second, chromedp.Navigate(e.base+"/console/#/clusters/"+id))
	waitFor(t, b, 60*time.Second, `(() => {
		const bar = document.querySelector('#upgrade-progress progress');
		if (bar) (window.seen ||= []).push(bar.value);
		return document.querySelector('#upgrade-progress .progress')?.dataset.state === 'success';
	})()`)
	seen := eval[[]float64](t, b, `window.seen`)
	advanced := false
	for _, v := range seen {
		advanced = advanced || (v > 0 && v < 1)
	}
	if !advanced || seen[len(seen)-1] != 1 {
		t.Errorf("the bar never showed partial progress before done: %v", seen)
	}
	if got := eval[string](t, b, `document.querySelector('#upgrade-progress .progress-stage').textContent`); got != "done" {
		t.Errorf("stage label %q, want done", got)
	}
	waitFor(t, b, 15*time.Second, `document.getElementById('cluster-version').textContent === '`+target+`'`)
	versions := eval[[]string](t, b, `[...document.querySelectorAll('tr[data-node] td[data-label="Version"]')].map(td => td.textContent)`)
	if len(versions) != 3 {
		t.Errorf("node table shows %d nodes, want 3", len(versions))
	}
	for _, v := range versions {
		if v != target {
			t.Errorf("node version %s after the upgrade, want %s", v, target)
		}
	}
}

func TestPauseAndResumeFromThePage(t *testing.T) {
	e := startServer(t, 200)
	ctx := testContext(t)
	// Node 1's drain stays blocked for 100 s, so the upgrade is surely still
	// running while the page pauses and resumes it.
	created, err := e.srv.Service.CreateCluster(ctx, service.DefaultAccount, service.CreateClusterParams{
		Name: "pause-me", RegionID: "cn-hangzhou", KubernetesVersion: "1.32.1-aliyun.1",
		NodePools: []service.NodePoolSpec{{Name: "default-nodepool", DesiredSize: 2}},
		Tags:      []upgrade.Tag{{Key: upgrade.FaultDrainBlocked, Value: "1"}, {Key: upgrade.FaultDrainBlockedSeconds, Value: "20000"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1280, 900)
	signIn(t, b, e, testKeyID, testKeySecret)
	waitFor(t, b, 15*time.Second, `!!document.querySelector('#create-toggle')`)
	b.do(t, 15*time.Second, chromedp.Navigate(e.base+"/console/#/clusters/"+created.ClusterID))
	waitFor(t, b, 30*time.Second, `document.getElementById('cluster-state')?.textContent === 'running' && !document.getElementById('btn-upgrade').disabled`)
	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#btn-upgrade")))
	waitFor(t, b, 15*time.Second, `document.querySelector('#upgrade-progress .progress')?.dataset.state === 'running' && !document.getElementById('btn-pause').disabled`)

	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#btn-pause")))
	waitFor(t, b, 15*time.Second, `document.querySelector('#upgrade-progress .progress')?.dataset.state === 'paused' && !document.getElementById('btn-resume').disabled && document.getElementById('btn-pause').disabled`)
	if st := taskState(t, e, created.ClusterID); st != upgrade.TaskPaused {
		t.Fatalf("after Pause on the page the task is %s, want paused", st)
	}
	if text := eval[string](t, b, `document.getElementById('blocker').innerText`); !strings.Contains(text, "Paused") {
		t.Errorf("the page does not say the upgrade is paused: %q", text)
	}

	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#btn-resume")))
	waitFor(t, b, 15*time.Second, `document.querySelector('#upgrade-progress .progress')?.dataset.state === 'running' && !document.getElementById('btn-pause').disabled`)
	if st := taskState(t, e, created.ClusterID); st != upgrade.TaskRunning {
		t.Fatalf("after Resume on the page the task is %s, want running", st)
	}
}

// taskState reads the state of the cluster's newest task from the service.
func taskState(t *testing.T, e *env, clusterID string) upgrade.TaskState {
	t.Helper()
	tasks, _, err := e.srv.Service.ListTasks(testContext(t), service.DefaultAccount, clusterID, 0, 1)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("list tasks of %s: %v (%d tasks)", clusterID, err, len(tasks))
	}
	return tasks[0].State
}

func TestExplorerGoSnippetGetsTheSameBody(t *testing.T) {
	e := startServer(t, 200)
	created, err := e.srv.Service.CreateCluster(testContext(t), service.DefaultAccount, service.CreateClusterParams{
		Name: "explored", RegionID: "cn-hangzhou", NumOfNodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1280, 1000)
	signIn(t, b, e, testKeyID, testKeySecret)
	waitFor(t, b, 15*time.Second, `!!document.querySelector('#create-toggle')`)
	b.do(t, 15*time.Second, chromedp.Navigate(e.base+"/console/#/explorer/GetUpgradeStatus"))
	waitFor(t, b, 15*time.Second, `!!document.getElementById('param-path-ClusterId')`)

	// Every operation the route table has is listed.
	listed := eval[[]string](t, b, `[...document.querySelectorAll('.op-list a[data-op]')].map(a => a.dataset.op)`)
	ops := eval[[]string](t, b, `fetch('/api/ackup/operations').then(r => r.json()).then(ops => ops.map(o => o.name).sort())`)
	if !reflect.DeepEqual(listed, ops) {
		t.Errorf("explorer lists %v, the server describes %v", listed, ops)
	}

	b.do(t, 15*time.Second,
		chromedp.SendKeys(chromedp.CSS("#param-path-ClusterId"), created.ClusterID),
		chromedp.Click(chromedp.CSS("#send")))
	waitFor(t, b, 15*time.Second, `(document.getElementById('response-status') || {}).textContent?.startsWith('200') ?? false`)
	request := eval[string](t, b, `document.getElementById('request-text').textContent`)
	for _, want := range []string{"GET /api/v2/clusters/" + created.ClusterID + "/upgrade/status", "host: " + e.host,
		"authorization: ACS3-HMAC-SHA256 Credential=" + testKeyID, "x-acs-action: GetUpgradeStatus"} {
		if !strings.Contains(request, want) {
			t.Errorf("the request shown lacks %q:\n%s", want, request)
		}
	}
	if strings.Contains(eval[string](t, b, `document.body.innerText`), testKeySecret) {
		t.Error("the page shows the AccessKey secret")
	}
	shown := eval[string](t, b, `document.getElementById('response-body').textContent`)
	screenshot(t, b, "explorer.png")

	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#tab-code")))
	waitFor(t, b, 15*time.Second, `!!document.getElementById('code-go')`)
	goCode := eval[string](t, b, `document.getElementById('code-go').textContent`)
	cli := eval[string](t, b, `document.getElementById('code-cli').textContent`)
	if want := "ackup upgrade status " + created.ClusterID + " --endpoint " + e.host; !strings.Contains(cli, want) {
		t.Errorf("CLI snippet %q lacks %q", cli, want)
	}
	screenshot(t, b, "explorer-code.png")

	// The SDK's model of GetUpgradeStatus knows only part of upgrade_task
	// (message and status), so the snippet prints what the SDK decodes:
	// every value it prints must be the explorer's, and it must print all
	// five fields.
	out := runGoSnippet(t, goCode, "ALIBABA_CLOUD_ACCESS_KEY_ID="+testKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+testKeySecret)
	printed, full := withoutRequestIDs(t, out), withoutRequestIDs(t, shown)
	if m, _ := printed.(map[string]any); len(m) != 5 || !jsonWithin(printed, full) {
		t.Errorf("the Go snippet printed\n%s\nthe explorer showed\n%s", out, shown)
	}
}

// jsonWithin reports whether every member of the JSON value a is in b with
// the same value (objects may have more members in b).
func jsonWithin(a, b any) bool {
	am, ok := a.(map[string]any)
	if !ok {
		return reflect.DeepEqual(a, b)
	}
	bm, ok := b.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range am {
		if w, ok := bm[k]; !ok || !jsonWithin(v, w) {
			return false
		}
	}
	return true
}

// runGoSnippet writes a program into a directory inside this module (so it
// builds with the module's go.mod and go.sum), runs it and returns its
// standard output.
func runGoSnippet(t *testing.T, code string, env ...string) string {
	t.Helper()
	dir, err := os.MkdirTemp(".", "_snippet")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), "run", "./"+filepath.Base(dir))
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run the snippet: %v\n%s\nsnippet:\n%s", err, stderr.String(), code)
	}
	return stdout.String()
}

// withoutRequestIDs parses a JSON document and drops its request-id keys.
func withoutRequestIDs(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	if m, ok := v.(map[string]any); ok {
		for _, k := range []string{"request_id", "requestId", "RequestId"} {
			delete(m, k)
		}
	}
	return v
}

// TestGoSnippetsCompileForEveryOperation type-checks the Go program the
// Code tab shows for each operation the server describes.
func TestGoSnippetsCompileForEveryOperation(t *testing.T) {
	e := startServer(t, 200)
	b := newBrowser(t, 800, 600)
	b.do(t, 30*time.Second, chromedp.Navigate(e.base+"/console/"), chromedp.WaitVisible(chromedp.CSS("#ak-id")))
	programs := eval[map[string]string](t, b, `(async () => {
		const { goSnippet } = await import('./snippets.js');
		const { operations } = await import('./api.js');
		const out = {};
		for (const op of (await operations()).values()) {
			const args = { path: {}, query: {}, body: undefined };
			for (const p of op.params) {
				if (p.in === 'path') args.path[p.name] = 'sample-id';
				if (p.in === 'query' && p.type === 'integer') args.query[p.name] = '1';
				if (p.in === 'body' && p.required && !p.name.includes('.') && !p.name.includes('[]')) (args.body ||= {})[p.name] = 'x';
			}
			out[op.name] = goSnippet(op, args, location.host);
		}
		return out;
	})()`)
	if len(programs) < 20 {
		t.Fatalf("only %d operations described", len(programs))
	}
	root, err := os.MkdirTemp(".", "_snippets")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	pkgs := []string{}
	for name, code := range programs {
		dir := filepath.Join(root, strings.ToLower(name))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(dir))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), append([]string{"vet"}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet the snippets: %v\n%s", err, out)
	}
}

// TestHiddenPageStopsPolling hides the page (as a background tab is) and
// watches the server for three poll intervals: no new call may arrive
// beyond the one in flight. Showing it again resumes polling.
func TestHiddenPageStopsPolling(t *testing.T) {
	e := startServer(t, 200)
	b := newBrowser(t, 1280, 900)
	signIn(t, b, e, testKeyID, testKeySecret)
	waitFor(t, b, 15*time.Second, `!!document.querySelector('#create-toggle')`)
	calls := func() int64 { return e.apiCalls.Load() }
	if start := calls(); !within(10*time.Second, func() bool { return calls() >= start+2 }) {
		t.Fatal("the fleet view does not poll while visible")
	}

	eval[bool](t, b, `(Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }),
		document.dispatchEvent(new Event('visibilitychange')), true)`)
	hidden := calls()
	// Three poll intervals of watching: here the wait is what is tested.
	if within(3*time.Second, func() bool { return calls() > hidden+1 }) {
		t.Errorf("%d API calls while the page was hidden", calls()-hidden)
	}

	eval[bool](t, b, `(delete document.hidden, document.dispatchEvent(new Event('visibilitychange')), true)`)
	if shown := calls(); !within(10*time.Second, func() bool { return calls() > shown }) {
		t.Fatal("polling did not resume when the page was shown again")
	}
}

// within reports whether cond becomes true before d has passed, checking
// every 20 ms.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
}

// testContext bounds a direct call to the service, so a stuck store fails
// the test instead of hanging it.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRetryAFailedUpgradeFromThePage(t *testing.T) {
	e := startServer(t, 1000)
	ctx := testContext(t)
	created, err := e.srv.Service.CreateCluster(ctx, service.DefaultAccount, service.CreateClusterParams{
		Name: "retry-me", RegionID: "cn-hangzhou", KubernetesVersion: "1.32.1-aliyun.1",
		NodePools: []service.NodePoolSpec{{Name: "default-nodepool", DesiredSize: 1}},
		Tags:      []upgrade.Tag{{Key: upgrade.FaultControlPlaneFail, Value: "true"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1280, 900)
	signIn(t, b, e, testKeyID, testKeySecret)
	waitFor(t, b, 15*time.Second, `!!document.querySelector('#create-toggle')`)
	b.do(t, 15*time.Second, chromedp.Navigate(e.base+"/console/#/clusters/"+created.ClusterID))
	waitFor(t, b, 30*time.Second, `document.getElementById('cluster-state')?.textContent === 'running' && !document.getElementById('btn-upgrade').disabled`)
	if eval[bool](t, b, `!document.getElementById('btn-retry').hidden`) {
		t.Fatal("Retry is offered before any upgrade failed")
	}
	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#btn-upgrade")))
	waitFor(t, b, 30*time.Second, `!document.getElementById('btn-retry').hidden && !document.getElementById('btn-retry').disabled`)
	if st := taskState(t, e, created.ClusterID); st != upgrade.TaskFailed {
		t.Fatalf("Retry is offered while the task is %s", st)
	}
	if text := eval[string](t, b, `document.getElementById('blocker').innerText`); !strings.Contains(text, "failed") || !strings.Contains(text, "Retry") {
		t.Errorf("the page does not say the upgrade failed and can be retried: %q", text)
	}
	b.do(t, 15*time.Second, chromedp.Click(chromedp.CSS("#btn-retry")))
	waitFor(t, b, 30*time.Second, `document.querySelector('#upgrade-progress .progress')?.dataset.state === 'success'`)
	if st := taskState(t, e, created.ClusterID); st != upgrade.TaskSuccess {
		t.Fatalf("after Retry on the page the task is %s, want success", st)
	}
	if eval[bool](t, b, `!document.getElementById('btn-retry').hidden`) {
		t.Error("Retry is still offered after the upgrade succeeded")
	}
}
