// Package executor is the seam between the engine and whatever really
// upgrades a cluster: the built-in simulator (executor/sim) or a real
// Kubernetes cluster (executor/kube). Every method is idempotent and
// non-blocking: it starts an action if it has not started, and reports
// whether it has finished and, if not, when to look again. The engine records
// progress in the store, so a method may be called again after a crash.
package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// Result says whether an action has finished.
type Result struct {
	Done bool
	// RetryAfter says when to call again if not Done (0: the engine's default).
	RetryAfter time.Duration
	// Blocker, when not empty, says in plain words what holds the action
	// up (for example the pod and PodDisruptionBudget that block a drain).
	Blocker string
	// BlockedPod and BlockingPDB name, as "namespace/name", the first pod
	// a drain cannot evict and the PodDisruptionBudget that protects it,
	// when a drain is blocked and they are known.
	BlockedPod, BlockingPDB string
}

// Step is the context of one call: the cluster, the time the action started
// (recorded by the engine) and the engine's current time.
type Step struct {
	Cluster upgrade.Cluster
	Target  string
	Started time.Time
	Now     time.Time
	// Attempt is 0 on an upgrade's first attempt and counts the retries of
	// a failed upgrade after it.
	Attempt int
}

// Elapsed is the time since the action started.
func (s Step) Elapsed() time.Duration { return s.Now.Sub(s.Started) }

// Executor carries out the parts of an upgrade on one kind of cluster.
type Executor interface {
	// ClusterCreate brings a newly created cluster up.
	ClusterCreate(ctx context.Context, s Step) (Result, error)
	// Precheck runs the upgrade prechecks and returns their verdicts. It
	// must not change the cluster. A check item with Status Failed and
	// Level error fails the precheck.
	Precheck(ctx context.Context, s Step, nodes []upgrade.Node) ([]upgrade.CheckItem, Result, error)
	// ControlPlaneUpgrade upgrades the control plane to s.Target.
	ControlPlaneUpgrade(ctx context.Context, s Step) (Result, error)
	// NodeCordon marks a node unschedulable.
	NodeCordon(ctx context.Context, s Step, n upgrade.Node) error
	// NodeDrain evicts a cordoned node's pods.
	NodeDrain(ctx context.Context, s Step, n upgrade.Node) (Result, error)
	// NodeUpgrade upgrades a drained node's kubelet to s.Target.
	NodeUpgrade(ctx context.Context, s Step, n upgrade.Node) (Result, error)
	// NodeWaitReady reports Done once the node is Ready at s.Target.
	NodeWaitReady(ctx context.Context, s Step, n upgrade.Node) (Result, error)
	// NodeUncordon marks a node schedulable again.
	NodeUncordon(ctx context.Context, s Step, n upgrade.Node) error
}

// ErrStepFailed marks an error that retrying cannot fix: the task fails with
// the error's message. Wrap it: fmt.Errorf("%w: ...", ErrStepFailed).
var ErrStepFailed = errors.New("step failed")

// Failf returns an error wrapping ErrStepFailed with a message for a person.
func Failf(format string, a ...any) error {
	return &failure{msg: fmt.Sprintf(format, a...)}
}

type failure struct{ msg string }

func (f *failure) Error() string        { return f.msg }
func (f *failure) Is(target error) bool { return target == ErrStepFailed }

// Scaler is implemented by executors whose notion of time is scaled (the
// simulator): the engine uses it for waits the user asked for, such as the
// interval between batches.
type Scaler interface {
	Scale(d time.Duration) time.Duration
}

// Drain timeout policies: what the engine does when a node's drain stays
// blocked past the executor's timeout.
const (
	DrainPause = "pause" // pause the task; ResumeTask retries the drain
	DrainSkip  = "skip"  // uncordon the node, leave it at its version, go on
	DrainFail  = "fail"  // fail the task
)

// DrainTimeoutError is returned by NodeDrain when the drain stayed blocked
// past the cluster's drain timeout. The engine applies Policy.
type DrainTimeoutError struct {
	Policy  string
	Blocker string
	Timeout time.Duration
}

func (e *DrainTimeoutError) Error() string {
	return fmt.Sprintf("the drain stayed blocked for %s: %s", e.Timeout, e.Blocker)
}
