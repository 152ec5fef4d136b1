package kube

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/upgrade"
)

// How soon to look again at an action in progress.
const (
	actionRetry = 2 * time.Second
	readyRetry  = 2 * time.Second
	// readyQuiet is how long a node may take to come back Ready before
	// NodeWaitReady names it as a blocker.
	readyQuiet = time.Minute
)

func errNodeGone(name string) error {
	return executor.Failf("node %s is no longer in the cluster", name)
}

// ClusterCreate reports Done once the API server is ready: ackup does not
// create registered clusters, it finds them running.
func (e *Executor) ClusterCreate(ctx context.Context, _ executor.Step) (executor.Result, error) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	if it := e.checkHealth(ctx); it.Status != statusPassed {
		return executor.Result{RetryAfter: 5 * time.Second, Blocker: it.Message}, nil
	}
	return executor.Result{Done: true}, nil
}

// jobKey names one run of an action: the component, the target and the
// step's start as the engine recorded it. Calls for the same step share the
// run; a step taken again (a new task, a resumed drain) starts a new one.
func jobKey(component, target string, started time.Time) string {
	return fmt.Sprintf("%s|%s|%d", component, target, started.UnixNano())
}

// ControlPlaneUpgrade runs the control plane's action (once per step) and
// reports Done when the control plane reports s.Target or newer (read from
// /version, or from the override ConfigMap when so configured). The action
// failing, or the version not arriving within the action's timeout, fails
// the step.
func (e *Executor) ControlPlaneUpgrade(ctx context.Context, s executor.Step) (executor.Result, error) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	a := e.cfg.ControlPlaneAction
	timeout := e.stepTimeout(a)
	k := jobKey("control-plane", s.Target, s.Started)
	j, running := e.jobs.get(k)
	if !running {
		v, err := e.controlPlaneVersion(ctx)
		if err != nil {
			return executor.Result{}, err
		}
		if atLeast(v, s.Target) {
			return executor.Result{Done: true}, nil
		}
		if a.Type != kubecfg.ActionCommand {
			return e.actionPending(s, timeout, fmt.Sprintf("waiting for the control plane to report %s (it reports %s)", KubeVersion(s.Target), v))
		}
		na, err := e.namedAction("control_plane_action", a)
		if err != nil {
			return executor.Result{}, err
		}
		j = e.jobs.start(k, na, jobEnv{ClusterID: s.Cluster.ID, FromVersion: envVersion(v), TargetVersion: s.Target})
	}
	done, err := j.result()
	if err != nil {
		e.jobs.forget(k)
		return executor.Result{}, executor.Failf("the control plane upgrade to %s failed: %v", s.Target, err)
	}
	if !done {
		return e.actionPending(s, timeout, fmt.Sprintf("running the control plane's upgrade action %q", a.Name))
	}
	v, err := e.controlPlaneVersion(ctx)
	if err != nil {
		return executor.Result{}, err
	}
	if atLeast(v, s.Target) {
		return executor.Result{Done: true}, nil
	}
	return e.actionPending(s, timeout, fmt.Sprintf("waiting for the control plane to report %s (it reports %s)", KubeVersion(s.Target), v))
}

// namedAction resolves a command action's name in the server's actions.
// A name the operator no longer declares fails the step, saying so.
func (e *Executor) namedAction(field string, a kubecfg.Action) (kubecfg.NamedAction, error) {
	if a.Name == "" {
		return kubecfg.NamedAction{}, executor.Failf("the cluster's %s is a program to run, which ackup no longer accepts from a cluster's registration; "+
			"register the cluster again with the name of an action the operator declared (ackup server --actions-file)", field)
	}
	na, ok := e.opts.Actions.Lookup(a.Name)
	if !ok {
		return kubecfg.NamedAction{}, executor.Failf("the cluster's %s names action %q, which this ackup server no longer declares; "+
			"ask the operator to declare it in the actions file (ackup server --actions-file) and resume the upgrade", field, a.Name)
	}
	return na, nil
}

// stepTimeout is how long an action's step may take: the cluster's
// timeout, else the named action's, else the default.
func (e *Executor) stepTimeout(a kubecfg.Action) time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	if na, ok := e.opts.Actions.Lookup(a.Name); ok && na.Timeout > 0 {
		return na.Timeout
	}
	return kubecfg.DefaultActionTimeout
}

// actionPending reports an action still under way, or fails it once its
// timeout has passed since the step started.
func (e *Executor) actionPending(s executor.Step, timeout time.Duration, what string) (executor.Result, error) {
	if s.Elapsed() >= timeout {
		return executor.Result{}, executor.Failf("%s: gave up after %s (the action's timeout)", what, timeout)
	}
	return executor.Result{RetryAfter: actionRetry, Blocker: what}, nil
}

// versionWord is what a version read from the cluster must look like to
// reach an action's environment: the cluster is the API caller's, and
// scripts are not always careful with quoting.
var versionWord = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]{0,64}$`)

func envVersion(v string) string {
	if versionWord.MatchString(v) {
		return v
	}
	return ""
}

// NodeUpgrade runs the node's action once per step. A `command` action
// runs the named action the server declares under its name and is Done
// when it exits 0 (a non-zero exit fails the step with its exit status and
// the end of its last output line); a `wait` action is Done when the kubelet reports s.Target. A node
// whose kubelet already reports s.Target is Done without running anything.
func (e *Executor) NodeUpgrade(ctx context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	a := e.cfg.NodeAction
	k := jobKey("node/"+n.Name, s.Target, s.Started)
	if a.Type == kubecfg.ActionCommand {
		if j, ok := e.jobs.get(k); ok {
			return e.nodeJobResult(s, n, k, j)
		}
	}
	node, err := e.getNode(ctx, n.Name)
	if err != nil {
		return executor.Result{}, err
	}
	kv := node.Status.NodeInfo.KubeletVersion
	if atLeast(kv, s.Target) {
		return executor.Result{Done: true}, nil
	}
	if a.Type == kubecfg.ActionCommand {
		na, err := e.namedAction("node_action", a)
		if err != nil {
			return executor.Result{}, err
		}
		// Node names come from the cluster, which is the API caller's.
		if errs := validation.IsDNS1123Subdomain(n.Name); len(errs) > 0 {
			return executor.Result{}, executor.Failf("node %q is not named as Kubernetes names nodes, so ackup does not hand its name to action %q", n.Name, na.Name)
		}
		j := e.jobs.start(k, na, jobEnv{ClusterID: s.Cluster.ID, NodeName: n.Name, FromVersion: envVersion(kv), TargetVersion: s.Target})
		return e.nodeJobResult(s, n, k, j)
	}
	return e.actionPending(s, e.stepTimeout(a), fmt.Sprintf("waiting for node %s's kubelet to report %s (it reports %s)", n.Name, KubeVersion(s.Target), kv))
}

func (e *Executor) nodeJobResult(s executor.Step, n upgrade.Node, k string, j *job) (executor.Result, error) {
	done, err := j.result()
	switch {
	case err != nil:
		e.jobs.forget(k)
		return executor.Result{}, executor.Failf("the upgrade of node %s to %s failed: %v", n.Name, s.Target, err)
	case done:
		return executor.Result{Done: true}, nil
	}
	return executor.Result{RetryAfter: actionRetry}, nil
}

// NodeWaitReady reports Done once the node is Ready and its kubelet reports
// s.Target or newer; it fails the step if that takes longer than the
// configured node ready timeout.
func (e *Executor) NodeWaitReady(ctx context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	node, err := e.getNode(ctx, n.Name)
	if err != nil {
		return executor.Result{}, err
	}
	kv := node.Status.NodeInfo.KubeletVersion
	ready := nodeReady(node)
	if ready && atLeast(kv, s.Target) {
		return executor.Result{Done: true}, nil
	}
	what := fmt.Sprintf("node %s is NotReady", n.Name)
	if ready {
		what = fmt.Sprintf("node %s is Ready but its kubelet reports %s, not %s", n.Name, kv, KubeVersion(s.Target))
	}
	if s.Elapsed() >= e.cfg.NodeReadyTimeout {
		return executor.Result{}, executor.Failf("%s %s after its upgrade to %s; it stays cordoned for inspection", what, e.cfg.NodeReadyTimeout, s.Target)
	}
	r := executor.Result{RetryAfter: readyRetry}
	// A node is NotReady for a while after any upgrade; only a longer wait
	// is worth showing as what holds the upgrade up.
	if s.Elapsed() >= min(readyQuiet, e.cfg.NodeReadyTimeout/2) {
		r.Blocker = what + "; waiting up to " + e.cfg.NodeReadyTimeout.String()
	}
	return r, nil
}
