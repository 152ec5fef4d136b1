package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"k8s.io/client-go/rest"

	"github.com/ackup/ackup/internal/kubecfg"
)

// What of an action's output goes where: the server log gets the end of
// it (logTail bytes); the API, through the step's failure message, only
// the end of its last line (maxLine bytes). Both are scrubbed of the
// server's secrets first.
const (
	logTail = 64 << 10
	maxLine = 200
)

// jobKeep is how long a finished action's result is remembered.
const jobKeep = 24 * time.Hour

// jobs runs named actions in the background, at most one per key.
type jobs struct {
	kubeconfig []byte
	secrets    []string // scrubbed from the output
	log        *slog.Logger
	ctx        context.Context
	cancel     context.CancelFunc

	mu sync.Mutex
	m  map[string]*job
}

// job is one run of an action.
type job struct {
	done     chan struct{}
	finished time.Time
	err      error  // nil: exit status 0
	line     string // the end of the output's last line, scrubbed
}

func newJobs(kubeconfig []byte, rc *rest.Config, log *slog.Logger) *jobs {
	ctx, cancel := context.WithCancel(context.Background())
	secrets := serverSecrets(os.Environ())
	if rc != nil {
		secrets = append(secrets, rc.BearerToken, rc.Password, string(rc.KeyData))
	}
	return &jobs{kubeconfig: kubeconfig, secrets: secrets, log: log, ctx: ctx, cancel: cancel, m: map[string]*job{}}
}

func (js *jobs) close() { js.cancel() }

// jobEnv is what an action is told about its step.
type jobEnv struct {
	ClusterID     string
	NodeName      string // "" for the control plane
	FromVersion   string // as the cluster reports it
	TargetVersion string // ACK form
}

// start returns the job under key, starting the action if there is none.
func (js *jobs) start(key string, a kubecfg.NamedAction, env jobEnv) *job {
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

func (js *jobs) run(j *job, a kubecfg.NamedAction, env jobEnv) {
	out := &tail{max: logTail}
	err := js.exec(a, env, out)
	output := scrub(out.String(), js.secrets)
	attrs := []slog.Attr{slog.String("action", a.Name), slog.String("cluster_id", env.ClusterID),
		slog.String("node", env.NodeName), slog.String("target", env.TargetVersion), slog.String("output", output)}
	if err != nil {
		js.log.LogAttrs(js.ctx, slog.LevelWarn, "upgrade action failed", append(attrs, slog.String("error", err.Error()))...)
	} else {
		js.log.LogAttrs(js.ctx, slog.LevelInfo, "upgrade action finished", attrs...)
	}
	j.err = err
	j.line = lastLine(output, maxLine)
	js.mu.Lock()
	j.finished = time.Now()
	js.mu.Unlock()
	close(j.done)
}

// actionEnv is the whole environment of a's program: the variables
// kubecfg.ActionEnv documents and the operator's own, nothing else.
func actionEnv(a kubecfg.NamedAction, env jobEnv, kubeconfig string) []string {
	vars := map[string]string{
		kubecfg.EnvPath:             kubecfg.SafePath,
		kubecfg.EnvAction:           a.Name,
		kubecfg.EnvClusterID:        env.ClusterID,
		kubecfg.EnvNodeName:         env.NodeName,
		kubecfg.EnvFromVersion:      env.FromVersion,
		kubecfg.EnvTargetVersion:    KubeVersion(env.TargetVersion),
		kubecfg.EnvTargetACKVersion: env.TargetVersion,
	}
	if kubeconfig != "" {
		vars[kubecfg.EnvKubeconfig] = kubeconfig
	}
	for k, v := range a.Env {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func (js *jobs) exec(a kubecfg.NamedAction, env jobEnv, out *tail) error {
	// An empty directory of its own, so that a relative path in the
	// action never reaches the server's working directory.
	dir, err := os.MkdirTemp("", "ackup-action-*")
	if err != nil {
		return fmt.Errorf("action %q could not start: %w", a.Name, err)
	}
	defer os.RemoveAll(dir)
	kc := ""
	if a.Kubeconfig {
		kc = filepath.Join(dir, "kubeconfig")
		if err := os.WriteFile(kc, js.kubeconfig, 0o600); err != nil {
			return fmt.Errorf("action %q could not start: write the kubeconfig: %w", a.Name, err)
		}
	}
	ctx, cancel := context.WithTimeout(js.ctx, a.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.Argv[0], a.Argv[1:]...)
	cmd.Env = actionEnv(a, env, kc)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("action %q timed out after %s", a.Name, a.Timeout)
	case js.ctx.Err() != nil:
		return fmt.Errorf("action %q was stopped because ackup is shutting down", a.Name)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("action %q exited with status %d", a.Name, exit.ExitCode())
	}
	// The cause (not found, permission denied) is for the operator.
	js.log.LogAttrs(js.ctx, slog.LevelWarn, "upgrade action could not run", slog.String("action", a.Name),
		slog.String("cluster_id", env.ClusterID), slog.String("error", err.Error()))
	return fmt.Errorf("action %q could not run its program (see the server log)", a.Name)
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
	if j.line != "" {
		msg += fmt.Sprintf("; its last output line: %q", j.line)
	}
	return true, errors.New(msg)
}

// secretName matches the names of environment variables whose values are
// secrets.
var secretName = regexp.MustCompile(`(?i)secret|token|passw|credential|private|_key|^key|^alibaba_cloud_`)

// serverSecrets returns the values of the secret-looking variables of env
// (the server's environment), longest first so that scrub replaces a
// secret before any of its parts.
func serverSecrets(env []string) []string {
	var out []string
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if ok && len(v) >= 6 && secretName.MatchString(k) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// scrub replaces every secret in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 6 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// lastLine returns the end (at most n bytes) of s's last non-empty line,
// with control characters replaced.
func lastLine(s string, n int) string {
	s = strings.TrimRight(s, " \t\r\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	cut := false
	for len(s) > n {
		_, size := utf8.DecodeRuneInString(s)
		s, cut = s[size:], true
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if cut {
		s = "..." + s
	}
	return s
}

// tail keeps the last max bytes written to it.
type tail struct {
	max int
	mu  sync.Mutex
	buf []byte
	cut bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
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
