// Package sim is ackup's default executor: a simulated cluster whose
// control plane and nodes take realistic simulated time for each step,
// divided by the configured speed. Faults are injected through cluster tags
// (see Fault tags), so anyone with only an SDK can rehearse them.
package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/upgrade"
)

// Simulated durations of each step at speed 1.
const (
	CreateTime       = 3 * time.Minute
	PrecheckTime     = 30 * time.Second
	ControlPlaneTime = 8 * time.Minute
	DrainTime        = 1 * time.Minute
	NodeUpgradeTime  = 150 * time.Second
	NodeReadyTime    = 30 * time.Second
	// NodeReadyTimeout is how long a node may stay NotReady after its
	// upgrade before the step fails.
	NodeReadyTimeout = 10 * time.Minute
	// DefaultDrainBlock is how long a drain stays blocked by an injected
	// PodDisruptionBudget when the tag gives no duration.
	DefaultDrainBlock = 10 * time.Minute
)

// Fault tags. A node selector is a node name, an instance id, the 1-based
// position of the node in creation order, or "*" for every node.
//
// A fault fires on an upgrade's first attempt only, so that a retry of the
// failed upgrade (ResumeTask) can succeed, as it would once a person fixed
// the cause. A value ending in ";always" (for example
// "NodeDiskPressure;always", "2;always", or "always" for
// ackup.sim/control-plane-fail) makes the fault fire on every attempt.
const (
	// TagPrecheckFail names a precheck item that fails, e.g. "NodeDiskPressure".
	TagPrecheckFail = "ackup.sim/precheck-fail"
	// TagControlPlaneFail ("true", or "always") makes the control-plane step fail.
	TagControlPlaneFail = "ackup.sim/control-plane-fail"
	// TagNodeNeverReady selects a node that never becomes Ready after its upgrade.
	TagNodeNeverReady = "ackup.sim/node-never-ready"
	// TagDrainBlocked selects a node whose drain a PodDisruptionBudget blocks.
	TagDrainBlocked = "ackup.sim/drain-blocked"
	// TagDrainBlockedSeconds is how many simulated seconds the drain stays
	// blocked (default 600).
	TagDrainBlockedSeconds = "ackup.sim/drain-blocked-seconds"
)

// FaultTags lists the fault tags with a one-line description each, for
// documentation and for clients that offer them as choices.
var FaultTags = []struct{ Key, Example, Description string }{
	{TagPrecheckFail, "NodeDiskPressure", "this precheck item fails, so the upgrade stops before anything changes (first attempt only; append ;always to fail every retry too)"},
	{TagControlPlaneFail, "true", "the control-plane upgrade fails (first attempt only; \"always\" fails every retry too)"},
	{TagNodeNeverReady, "2", "this node never becomes Ready after its upgrade (the step fails after 10 simulated minutes; first attempt only; append ;always to fail every retry too)"},
	{TagDrainBlocked, "1", "a PodDisruptionBudget blocks this node's drain"},
	{TagDrainBlockedSeconds, "600", "how long, in simulated seconds, the drain stays blocked"},
}

// Executor simulates clusters. Speed is simulated seconds per real second.
type Executor struct {
	Speed float64
}

var _ executor.Executor = (*Executor)(nil)

// scaled converts a simulated duration to real time at the executor's speed.
func (e *Executor) scaled(d time.Duration) time.Duration {
	if e.Speed <= 0 {
		return d
	}
	return time.Duration(float64(d) / e.Speed)
}

// after reports Done once the scaled duration d has passed since the step
// started.
func (e *Executor) after(s executor.Step, d time.Duration) executor.Result {
	left := e.scaled(d) - s.Elapsed()
	if left <= 0 {
		return executor.Result{Done: true}
	}
	return executor.Result{RetryAfter: left}
}

// ClusterCreate finishes after CreateTime.
func (e *Executor) ClusterCreate(_ context.Context, s executor.Step) (executor.Result, error) {
	return e.after(s, CreateTime), nil
}

// Precheck runs the simulated check items after PrecheckTime.
func (e *Executor) Precheck(_ context.Context, s executor.Step, nodes []upgrade.Node) ([]upgrade.CheckItem, executor.Result, error) {
	r := e.after(s, PrecheckTime)
	if !r.Done {
		return nil, r, nil
	}
	failing, _ := fault(s, TagPrecheckFail)
	return checkItems(s, nodes, failing), r, nil
}

// ControlPlaneUpgrade finishes after ControlPlaneTime, or fails then if the
// cluster carries TagControlPlaneFail.
func (e *Executor) ControlPlaneUpgrade(_ context.Context, s executor.Step) (executor.Result, error) {
	r := e.after(s, ControlPlaneTime)
	if r.Done {
		if v, _ := fault(s, TagControlPlaneFail); v == "true" || v == "always" {
			return r, executor.Failf("the control plane upgrade to %s failed: the new kube-apiserver did not pass its health check (injected fault %s); the control plane still runs %s", s.Target, TagControlPlaneFail, s.Cluster.CurrentVersion)
		}
	}
	return r, nil
}

// NodeCordon is instantaneous in the simulator.
func (e *Executor) NodeCordon(context.Context, executor.Step, upgrade.Node) error { return nil }

// NodeUncordon is instantaneous in the simulator.
func (e *Executor) NodeUncordon(context.Context, executor.Step, upgrade.Node) error { return nil }

// NodeDrain takes DrainTime, plus the injected block if the node is selected
// by TagDrainBlocked.
func (e *Executor) NodeDrain(_ context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	if sel, ok := s.Cluster.Tag(TagDrainBlocked); ok && selects(sel, n) {
		block := DefaultDrainBlock
		if v, ok := s.Cluster.Tag(TagDrainBlockedSeconds); ok {
			if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
				block = time.Duration(secs) * time.Second
			}
		}
		if r := e.after(s, block); !r.Done {
			r.Blocker = fmt.Sprintf("pod default/web-0 on node %s cannot be evicted: PodDisruptionBudget default/web allows 0 disruptions (injected fault %s)", n.Name, TagDrainBlocked)
			r.BlockedPod, r.BlockingPDB = "default/web-0", "default/web"
			return r, nil
		}
		// The budget is relaxed; the drain itself still takes its time.
		s.Started = s.Started.Add(e.scaled(block))
	}
	return e.after(s, DrainTime), nil
}

// NodeUpgrade takes NodeUpgradeTime.
func (e *Executor) NodeUpgrade(_ context.Context, s executor.Step, _ upgrade.Node) (executor.Result, error) {
	return e.after(s, NodeUpgradeTime), nil
}

// NodeWaitReady reports the node Ready after NodeReadyTime, unless it is
// selected by TagNodeNeverReady: then it fails after NodeReadyTimeout.
func (e *Executor) NodeWaitReady(_ context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	if sel, ok := fault(s, TagNodeNeverReady); ok && selects(sel, n) {
		r := e.after(s, NodeReadyTimeout)
		if r.Done {
			return r, executor.Failf("node %s did not become Ready within %s after its upgrade to %s (injected fault %s); it stays cordoned for inspection", n.Name, NodeReadyTimeout, s.Target, TagNodeNeverReady)
		}
		r.Blocker = fmt.Sprintf("node %s is NotReady after its upgrade to %s; waiting up to %s", n.Name, s.Target, NodeReadyTimeout)
		return r, nil
	}
	return e.after(s, NodeReadyTime), nil
}

// alwaysSuffix on a fault tag's value makes the fault fire on retries too.
const alwaysSuffix = ";always"

// fault returns the value of the fault tag key, without its ";always"
// suffix, and whether the fault fires on this attempt of the step: every
// attempt with the suffix (or the value "always"), the first one otherwise.
func fault(s executor.Step, key string) (string, bool) {
	v, ok := s.Cluster.Tag(key)
	if !ok {
		return "", false
	}
	if base, found := strings.CutSuffix(v, alwaysSuffix); found {
		return base, true
	}
	if v == "always" || s.Attempt == 0 {
		return v, true
	}
	return "", false
}

// selects reports whether the node selector sel names n.
func selects(sel string, n upgrade.Node) bool {
	for _, part := range strings.Split(sel, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "*", part == n.Name, part == n.InstanceID:
			return true
		case part != "" && part == strconv.Itoa(upgrade.NodeOrdinal(n.IP)):
			return true
		}
	}
	return false
}

// Scale converts a simulated duration to real time; it satisfies
// executor.Scaler.
func (e *Executor) Scale(d time.Duration) time.Duration { return e.scaled(d) }
