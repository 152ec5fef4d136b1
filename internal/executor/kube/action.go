package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/ackup/ackup/internal/executor/kube/kubecfg"
)

// maxOutput is how much of a command's output is kept for its failure
// message (the end of it, where the error usually is).
const maxOutput = 4 << 10

// jobKeep is how long a finished command's result is remembered.
const jobKeep = 24 * time.Hour

// jobs runs `command` actions in the background, at most one per key.
type jobs struct {
	kubeconfig []byte
	ctx        context.Context
	cancel     context.CancelFunc

	mu sync.Mutex
	m  map[string]*job
}

// job is one run of a command action.
type job struct {
	done     chan struct{}
	finished time.Time
	err      error  // nil: exit status 0
	output   string // the end of stdout and stderr
}

func newJobs(kubeconfig []byte) *jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobs{kubeconfig: kubeconfig, ctx: ctx, cancel: cancel, m: map[string]*job{}}
}

func (js *jobs) close() { js.cancel() }

// jobEnv is what a command action is told.
type jobEnv struct {
	ClusterID     string
	NodeName      string // "" for the control plane
	TargetVersion string // ACK form
}

// start returns the job under key, starting the action if there is none.
func (js *jobs) start(key string, a kubecfg.Action, env jobEnv) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	if j, ok := js.m[key]; ok {
		return j
	}
	for k, j := range js.m {
		if !j.finished.IsZero() && time.Since(j.finished) > jobKeep {
			delete(js.m, k)
		}
	}
	j := &job{done: make(chan struct{})}
	js.m[key] = j
	go js.run(j, a, env)
	return j
}

// forget drops a finished job, so that the action runs again next time (a
// failure is reported once; the next attempt starts afresh).
func (js *jobs) forget(key string) {
	js.mu.Lock()
	defer js.mu.Unlock()
	delete(js.m, key)
}

// get returns the job under key, if there is one.
func (js *jobs) get(key string) (*job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.m[key]
	return j, ok
}

func (js *jobs) run(j *job, a kubecfg.Action, env jobEnv) {
	var out tail
	j.err = js.exec(a, env, &out)
	j.output = out.String()
	js.mu.Lock()
	j.finished = time.Now()
	js.mu.Unlock()
	close(j.done)
}

func (js *jobs) exec(a kubecfg.Action, env jobEnv, out *tail) error {
	f, err := os.CreateTemp("", "ackup-kubeconfig-*")
	if err != nil {
		return fmt.Errorf("write the kubeconfig for the command: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write the kubeconfig for the command: %w", err)
	}
	if _, err := f.Write(js.kubeconfig); err != nil {
		f.Close()
		return fmt.Errorf("write the kubeconfig for the command: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the kubeconfig for the command: %w", err)
	}
	ctx, cancel := context.WithTimeout(js.ctx, a.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.Command[0], a.Command[1:]...)
	cmd.Env = append(os.Environ(),
		"ACKUP_CLUSTER_ID="+env.ClusterID,
		"ACKUP_NODE_NAME="+env.NodeName,
		"ACKUP_TARGET_VERSION="+KubeVersion(env.TargetVersion),
		"ACKUP_TARGET_ACK_VERSION="+env.TargetVersion,
		"ACKUP_KUBECONFIG="+f.Name(),
	)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%s timed out after %s", a.Command[0], a.Timeout)
	case js.ctx.Err() != nil:
		return fmt.Errorf("%s was stopped because ackup is shutting down", a.Command[0])
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("%s exited with status %d", a.Command[0], exit.ExitCode())
	}
	return fmt.Errorf("%s could not run: %w", a.Command[0], err)
}

// result reports a job's state: done, and the failure if it failed.
func (j *job) result() (done bool, err error) {
	select {
	case <-j.done:
	default:
		return false, nil
	}
	if j.err == nil {
		return true, nil
	}
	msg := j.err.Error()
	if o := strings.TrimSpace(j.output); o != "" {
		msg += "; its output ends with: " + o
	}
	return true, errors.New(msg)
}

// tail keeps the last maxOutput bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
	cut bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > maxOutput {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-maxOutput:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(bytes.ToValidUTF8(t.buf, []byte("?")))
	if t.cut {
		s = "..." + s
	}
	return s
}
