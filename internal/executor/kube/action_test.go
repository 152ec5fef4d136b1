package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube/kubecfg"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
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

func TestCommandEnvironment(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "env")
	js := newJobs([]byte("apiVersion: v1\nkind: Config\n"))
	defer js.close()
	script := `{ echo "$ACKUP_CLUSTER_ID|$ACKUP_NODE_NAME|$ACKUP_TARGET_VERSION|$ACKUP_TARGET_ACK_VERSION|$ACKUP_KUBECONFIG"; stat -c %a "$ACKUP_KUBECONFIG"; cat "$ACKUP_KUBECONFIG"; } > "$0"`
	a := kubecfg.Action{Type: kubecfg.ActionCommand, Command: []string{"/bin/sh", "-c", script, out}, Timeout: time.Minute}
	j := js.start("k", a, jobEnv{ClusterID: "c1", NodeName: "n1", TargetVersion: target})
	if done, err := waitJob(t, j); !done || err != nil {
		t.Fatalf("job = %v, %v; want done", done, err)
	}
	if again := js.start("k", a, jobEnv{}); again != j {
		t.Fatal("a second start under the same key started another run")
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	fields := strings.Split(lines[0], "|")
	if len(fields) != 5 || fields[0] != "c1" || fields[1] != "n1" || fields[2] != targetKube || fields[3] != target {
		t.Fatalf("command saw %q; want c1|n1|%s|%s|<path>", lines[0], targetKube, target)
	}
	if lines[1] != "600" {
		t.Errorf("ACKUP_KUBECONFIG has mode %s; want 600", lines[1])
	}
	if lines[2] != "apiVersion: v1" {
		t.Errorf("ACKUP_KUBECONFIG holds %q; want the kubeconfig", lines[2])
	}
	if _, err := os.Stat(fields[4]); !os.IsNotExist(err) {
		t.Errorf("the kubeconfig file %s is still there after the command (stat: %v)", fields[4], err)
	}
}

func TestCommandFailureAndTimeout(t *testing.T) {
	t.Parallel()
	js := newJobs([]byte("x"))
	defer js.close()
	fail := kubecfg.Action{Type: kubecfg.ActionCommand, Command: kubetest.FailCommand("boom: disk full"), Timeout: time.Minute}
	_, err := waitJob(t, js.start("fail", fail, jobEnv{NodeName: "n1"}))
	if err == nil || len(lacks(err.Error(), "exited with status 7", "boom: disk full (n1)")) > 0 {
		t.Fatalf("failure = %v; want the exit status and the output", err)
	}
	slow := kubecfg.Action{Type: kubecfg.ActionCommand, Command: []string{"/bin/sh", "-c", "echo started; exec sleep 60"}, Timeout: 200 * time.Millisecond}
	_, err = waitJob(t, js.start("slow", slow, jobEnv{}))
	if err == nil || len(lacks(err.Error(), "timed out after 200ms", "started")) > 0 {
		t.Fatalf("timeout = %v; want a timeout with the output", err)
	}
}

func TestTailKeepsTheEnd(t *testing.T) {
	t.Parallel()
	var tl tail
	for range 1000 {
		_, _ = tl.Write([]byte("0123456789"))
	}
	_, _ = tl.Write([]byte("THE END"))
	s := tl.String()
	if !strings.HasPrefix(s, "...") || !strings.HasSuffix(s, "THE END") || len(s) != maxOutput+3 {
		t.Fatalf("tail = %d bytes %q...; want the last %d bytes", len(s), s[:20], maxOutput)
	}
}

// TestNodeUpgradeCommandFails checks that a failing command fails the step
// with its output, and that the next step runs it afresh.
func TestNodeUpgradeCommandFails(t *testing.T) {
	e := newKubeEnv(t, 1, func(c *Config) {
		c.NodeAction = Action{Type: kubecfg.ActionCommand, Command: kubetest.FailCommand("kubeadm: preflight failed")}
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
		c.ControlPlaneAction = Action{Type: kubecfg.ActionCommand, Command: kubetest.FailCommand("etcd snapshot failed")}
	})
	_, err := drive(t, newClock(), "control plane", func(s executor.Step) (executor.Result, error) {
		return f.ex.ControlPlaneUpgrade(ctx, f.withCluster(s))
	}, nil)
	if !isStepFailed(err) || len(lacks(err.Error(), "control plane", "exited with status 7", "etcd snapshot failed")) > 0 {
		t.Fatalf("ControlPlaneUpgrade = %v; want a step failure with the output", err)
	}
}
