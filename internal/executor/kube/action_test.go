package kube

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/kubecfg"
)

// waitJob waits for a job to finish, with a deadline.
func waitJob(t *testing.T, j *job) (bool, error) {
	t.Helper()
	select {
	case <-j.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the command did not finish within 30s")
	}
	return j.result()
}

// logBuffer collects a logger's JSON lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// outputs returns the "output" of every logged line, in order.
func (l *logBuffer) outputs(t *testing.T) []string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var rec struct{ Output string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec.Output)
	}
	return out
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestJobs(t *testing.T, kubeconfig string) (*jobs, *logBuffer) {
	logs := &logBuffer{}
	js := newJobs([]byte(kubeconfig), nil, slog.New(slog.NewJSONHandler(logs, nil)))
	t.Cleanup(js.close)
	return js, logs
}

// serverSecret is in the server's environment during the action tests.
const serverSecret = "srv-secret-9c4e1f0a77d2"

// TestActionEnvironment runs /usr/bin/env as an action: it sees exactly
// the documented variables and the operator's own, none of the server's.
func TestActionEnvironment(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", serverSecret)
	t.Setenv("ACKUP_TEST_LEAK", "leaked")
	js, logs := newTestJobs(t, "apiVersion: v1\nkind: Config\n")
	a := kubecfg.NamedAction{Name: "show-env", Argv: []string{"/usr/bin/env"}, Timeout: time.Minute, Kubeconfig: true,
		Env: map[string]string{"HOME": "/var/lib/ackup"}}
	j := js.start("k", a, jobEnv{ClusterID: "c1", NodeName: "n1", FromVersion: fromKubelet, TargetVersion: target})
	if done, err := waitJob(t, j); !done || err != nil {
		t.Fatalf("job = %v, %v; want done", done, err)
	}
	if again := js.start("k", a, jobEnv{}); again != j {
		t.Fatal("a second start under the same key started another run")
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs.outputs(t)[0]), "\n") {
		k, v, _ := strings.Cut(line, "=")
		got[k] = v
	}
	want := map[string]string{"PATH": kubecfg.SafePath, "ACKUP_ACTION": "show-env", "ACKUP_CLUSTER_ID": "c1", "ACKUP_NODE_NAME": "n1",
		"ACKUP_FROM_VERSION": fromKubelet, "ACKUP_TARGET_VERSION": targetKube, "ACKUP_TARGET_ACK_VERSION": target, "HOME": "/var/lib/ackup"}
	kc := got["KUBECONFIG"]
	delete(got, "KUBECONFIG")
	if !maps.Equal(got, want) {
		t.Errorf("the action saw\n%v\nwant\n%v (and KUBECONFIG)", got, want)
	}
	if !strings.HasPrefix(kc, os.TempDir()) {
		t.Errorf("KUBECONFIG = %q; want a temporary file", kc)
	}
	if _, err := os.Stat(kc); !os.IsNotExist(err) {
		t.Errorf("the kubeconfig file %s is still there after the action (stat: %v)", kc, err)
	}
}

// TestActionKubeconfigAndDirectory checks the kubeconfig file (mode 0600,
// only for actions that ask for it) and the working directory (empty, of
// its own).
func TestActionKubeconfigAndDirectory(t *testing.T) {
	js, logs := newTestJobs(t, "apiVersion: v1\nkind: Config\n")
	script := `stat -c %a "$KUBECONFIG"; head -1 "$KUBECONFIG"; ls -A | wc -l; pwd`
	a := kubecfg.NamedAction{Name: "kc", Argv: []string{"/bin/sh", "-c", script}, Timeout: time.Minute, Kubeconfig: true}
	if done, err := waitJob(t, js.start("kc", a, jobEnv{})); !done || err != nil {
		t.Fatalf("job = %v, %v; want done", done, err)
	}
	without := kubecfg.NamedAction{Name: "no-kc", Argv: []string{"/bin/sh", "-c", `echo "[$KUBECONFIG]"; ls -A | wc -l`}, Timeout: time.Minute}
	if done, err := waitJob(t, js.start("no-kc", without, jobEnv{})); !done || err != nil {
		t.Fatalf("job = %v, %v; want done", done, err)
	}
	outs := logs.outputs(t)
	lines := strings.Split(strings.TrimSpace(outs[0]), "\n")
	wd, _ := os.Getwd()
	if len(lines) != 4 || lines[0] != "600" || lines[1] != "apiVersion: v1" || lines[2] != "1" || lines[3] == wd {
		t.Errorf("with kubeconfig the action saw %q; want mode 600, the kubeconfig, a directory holding only it, not %s", lines, wd)
	}
	if got := strings.Fields(outs[1]); len(got) != 2 || got[0] != "[]" || got[1] != "0" {
		t.Errorf("without kubeconfig the action saw %q; want no KUBECONFIG and an empty directory", got)
	}
}

// TestActionOutputIsShortAndScrubbed: what reaches the step's failure
// (and so the API) is the exit status and the end of the last line, with
// the server's secrets scrubbed; the log has the whole output, scrubbed.
func TestActionOutputIsShortAndScrubbed(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", serverSecret)
	js, logs := newTestJobs(t, "x")
	script := `echo "first line $0"; head -c 5000 /dev/zero | tr '\\0' x; echo " key=$0 boom: disk full"; exit 7`
	a := kubecfg.NamedAction{Name: "leaky", Argv: []string{"/bin/sh", "-c", script, serverSecret}, Timeout: time.Minute}
	_, err := waitJob(t, js.start("fail", a, jobEnv{NodeName: "n1"}))
	if err == nil || len(lacks(err.Error(), `action "leaky" exited with status 7`, "boom: disk full", "[redacted]")) > 0 {
		t.Fatalf("failure = %v; want the exit status and the end of the last line, scrubbed", err)
	}
	if len(err.Error()) > 300 || strings.Contains(err.Error(), "first line") {
		t.Errorf("failure is %d bytes: %q; want the end of the last line only", len(err.Error()), err)
	}
	if strings.Contains(err.Error(), serverSecret) || strings.Contains(logs.String(), serverSecret) {
		t.Errorf("the server's secret is in the failure or the log:\n%v\n%s", err, logs)
	}
	if out := logs.outputs(t); !strings.Contains(out[0], "first line [redacted]") {
		t.Errorf("the log lacks the whole output: %q", out)
	}

	slow := kubecfg.NamedAction{Name: "slow", Argv: []string{"/bin/sh", "-c", "echo started; exec sleep 60"}, Timeout: 200 * time.Millisecond}
	_, err = waitJob(t, js.start("slow", slow, jobEnv{}))
	if err == nil || len(lacks(err.Error(), `action "slow" timed out after 200ms`, "started")) > 0 {
		t.Fatalf("timeout = %v; want a timeout with the output", err)
	}
}

func TestLastLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"one\ntwo\n\n", "two"},
		{"a\x1b[31mred\r\n", "a [31mred"},
		{strings.Repeat("é", 150), "..." + strings.Repeat("é", 100)},
	} {
		if got := lastLine(tc.in, maxLine); got != tc.want {
			t.Errorf("lastLine(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestTailKeepsTheEnd(t *testing.T) {
	t.Parallel()
	tl := tail{max: 4096}
	for range 1000 {
		_, _ = tl.Write([]byte("0123456789"))
	}
	_, _ = tl.Write([]byte("THE END"))
	s := tl.String()
	if !strings.HasPrefix(s, "...") || !strings.HasSuffix(s, "THE END") || len(s) != 4096+3 {
		t.Fatalf("tail = %d bytes %q...; want the last 4096 bytes", len(s), s[:20])
	}
}

// TestNodeUpgradeCommandFails checks that a failing command fails the step
// with its output, and that the next step runs it afresh.
func TestNodeUpgradeCommandFails(t *testing.T) {
	e := newKubeEnv(t, 1, func(c *Config) {
		c.NodeAction = Action{Type: kubecfg.ActionCommand, Name: failNode}
	})
	n := e.nodes[0]
	_, err := drive(t, newClock(), "upgrade", func(s executor.Step) (executor.Result, error) {
		return e.ex.NodeUpgrade(t.Context(), e.withCluster(s), n)
	}, nil)
	if !isStepFailed(err) {
		t.Fatalf("NodeUpgrade = %v; want a step failure", err)
	}
	if miss := lacks(err.Error(), n.Name, "exited with status 7", "kubeadm: preflight failed"); len(miss) > 0 {
		t.Fatalf("failure %q lacks %v", err, miss)
	}
}

// TestWaitAction checks that a wait action waits for something outside to
// bring the node to the target, and gives up after its timeout.
func TestWaitAction(t *testing.T) {
	e := newKubeEnv(t, 2, func(c *Config) { c.NodeAction = Action{Type: kubecfg.ActionWait, Timeout: 5 * time.Minute} })
	ctx := t.Context()
	clock := newClock()
	n := e.nodes[0]
	r, err := e.ex.NodeUpgrade(ctx, clock.step(e, clock.now), n)
	if err != nil || r.Done || len(lacks(r.Blocker, "waiting for node "+n.Name, targetKube, fromKubelet)) > 0 {
		t.Fatalf("NodeUpgrade = %+v, %v; want a wait naming the node and versions", r, err)
	}
	if err := e.agent.SetVersion(ctx, n.Name, targetKube); err != nil {
		t.Fatal(err)
	}
	mustDrive(t, clock, "upgrade", func(s executor.Step) (executor.Result, error) {
		return e.ex.NodeUpgrade(ctx, e.withCluster(s), n)
	}, nil)

	other := e.nodes[1]
	clock = newClock()
	started := clock.now
	clock.now = started.Add(5 * time.Minute)
	_, err = e.ex.NodeUpgrade(ctx, clock.step(e, started), other)
	if !isStepFailed(err) || len(lacks(err.Error(), other.Name, "gave up after 5m0s")) > 0 {
		t.Fatalf("NodeUpgrade past the timeout = %v; want a step failure naming the node", err)
	}
}

// TestNodeWaitReadyTimeout checks that a node that stays NotReady fails
// the step after the node ready timeout.
func TestNodeWaitReadyTimeout(t *testing.T) {
	e := newKubeEnv(t, 1, func(c *Config) { c.NodeReadyTimeout = time.Minute })
	n := e.nodes[0]
	if err := e.agent.SetReady(t.Context(), n.Name, false); err != nil {
		t.Fatal(err)
	}
	var blocker string
	_, err := drive(t, newClock(), "wait ready", func(s executor.Step) (executor.Result, error) {
		return e.ex.NodeWaitReady(t.Context(), e.withCluster(s), n)
	}, func(r executor.Result) { blocker = r.Blocker })
	if !isStepFailed(err) || len(lacks(err.Error(), n.Name, "NotReady")) > 0 {
		t.Fatalf("NodeWaitReady = %v; want a step failure", err)
	}
	if len(lacks(blocker, n.Name, "NotReady")) > 0 {
		t.Fatalf("blocker %q does not say the node is NotReady", blocker)
	}
}

// TestControlPlaneActions checks that a control plane already at the target
// runs nothing, and that a failing command fails the step with its output.
func TestControlPlaneActions(t *testing.T) {
	e := newKubeEnv(t, 0, nil)
	ctx := t.Context()
	if err := kubetest.SetControlPlaneVersion(ctx, e.srv.Client, targetKube); err != nil {
		t.Fatal(err)
	}
	clock := newClock()
	if r, err := e.ex.ControlPlaneUpgrade(ctx, clock.step(e, clock.now)); err != nil || !r.Done {
		t.Fatalf("ControlPlaneUpgrade at the target = %+v, %v; want Done", r, err)
	}
	if runs := e.agent.CommandRuns("control-plane"); runs != 0 {
		t.Fatalf("the control plane command ran %d times for a control plane already at the target", runs)
	}

	f := newKubeEnv(t, 0, func(c *Config) {
		c.ControlPlaneAction = Action{Type: kubecfg.ActionCommand, Name: failCP}
	})
	_, err := drive(t, newClock(), "control plane", func(s executor.Step) (executor.Result, error) {
		return f.ex.ControlPlaneUpgrade(ctx, f.withCluster(s))
	}, nil)
	if !isStepFailed(err) || len(lacks(err.Error(), "control plane", "exited with status 7", "etcd snapshot failed")) > 0 {
		t.Fatalf("ControlPlaneUpgrade = %v; want a step failure with the output", err)
	}
}
