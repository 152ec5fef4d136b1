// Package sim is ackup's default executor: a simulated cluster whose
// control plane and nodes take realistic simulated time for each step,
// divided by the configured speed. Faults are injected through cluster tags
// (upgrade.FaultTags), so anyone with only an SDK can rehearse them.
package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
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
	// DrainTimeout is how long a blocked drain may stay blocked before it
	// times out, on clusters tagged upgrade.FaultDrainTimeout.
	DrainTimeout = 5 * time.Minute
)

// Executor simulates clusters. Speed is simulated seconds per real second.
//
// A simulated cluster's state is what the store records, so the executor
// needs none to do its work; it keeps only what its own calls did to the
// nodes in flight (cordoned, the version upgraded to), which Node reports
// so that the conformance suite can hold it to what it claims. A node is
// forgotten when it is uncordoned, so the memory held is bounded by the
// nodes in flight (and those a failed upgrade left cordoned).
type Executor struct {
	Speed float64

	mu    sync.Mutex
	nodes map[string]NodeState // by instance id
}

// NodeState is what the simulator's calls did to a node.
type NodeState struct {
	// Cordoned: NodeCordon was called and NodeUncordon not since.
	Cordoned bool
	// Version is the version NodeUpgrade brought the node to, empty if
	// no NodeUpgrade has finished since the node was last uncordoned.
	Version string
}

// Node returns what the executor's calls did to the node with instance id
// id; ok is false for a node not in flight (never cordoned, or uncordoned
// since).
func (e *Executor) Node(id string) (st NodeState, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st, ok = e.nodes[id]
	return st, ok
}

// setNode changes the recorded state of node id.
func (e *Executor) setNode(id string, f func(*NodeState)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.nodes == nil {
		e.nodes = map[string]NodeState{}
	}
	st := e.nodes[id]
	f(&st)
	e.nodes[id] = st
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
	failing, _ := fault(s, upgrade.FaultPrecheckFail)
	return checkItems(s, nodes, failing), r, nil
}

// ControlPlaneUpgrade finishes after ControlPlaneTime, or fails then if the
// cluster carries upgrade.FaultControlPlaneFail.
func (e *Executor) ControlPlaneUpgrade(_ context.Context, s executor.Step) (executor.Result, error) {
	r := e.after(s, ControlPlaneTime)
	if r.Done {
		if v, _ := fault(s, upgrade.FaultControlPlaneFail); v == "true" || v == "always" {
			return r, executor.Failf("the control plane upgrade to %s failed: the new kube-apiserver did not pass its health check (injected fault %s); the control plane still runs %s", s.Target, upgrade.FaultControlPlaneFail, s.Cluster.CurrentVersion)
		}
	}
	return r, nil
}

// NodeCordon is instantaneous in the simulator.
func (e *Executor) NodeCordon(_ context.Context, _ executor.Step, n upgrade.Node) error {
	e.setNode(n.InstanceID, func(st *NodeState) { st.Cordoned = true })
	return nil
}

// NodeUncordon is instantaneous in the simulator.
func (e *Executor) NodeUncordon(_ context.Context, _ executor.Step, n upgrade.Node) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.nodes, n.InstanceID)
	return nil
}

// NodeDrain takes DrainTime, plus the injected block if the node is selected
// by upgrade.FaultDrainBlocked. On a cluster tagged upgrade.FaultDrainTimeout
// a drain still blocked after DrainTimeout times out.
func (e *Executor) NodeDrain(_ context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	if sel, ok := s.Cluster.Tag(upgrade.FaultDrainBlocked); ok && selects(sel, n) {
		block := DefaultDrainBlock
		if v, ok := s.Cluster.Tag(upgrade.FaultDrainBlockedSeconds); ok {
			if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
				block = time.Duration(secs) * time.Second
			}
		}
		if r := e.after(s, block); !r.Done {
			r.Blocker = fmt.Sprintf("pod default/web-0 on node %s cannot be evicted: PodDisruptionBudget default/web allows 0 disruptions (injected fault %s)", n.Name, upgrade.FaultDrainBlocked)
			r.BlockedPod, r.BlockingPDB = "default/web-0", "default/web"
			if policy, ok := fault(s, upgrade.FaultDrainTimeout); ok {
				t := e.after(s, DrainTimeout)
				if t.Done {
					return r, &executor.DrainTimeoutError{Policy: drainPolicy(policy), Blocker: r.Blocker, Timeout: DrainTimeout}
				}
				r.RetryAfter = min(r.RetryAfter, t.RetryAfter) // look again when the timeout is due
			}
			return r, nil
		}
		// The budget is relaxed; the drain itself still takes its time.
		s.Started = s.Started.Add(e.scaled(block))
	}
	return e.after(s, DrainTime), nil
}

// drainPolicy is the policy a FaultDrainTimeout tag's value names, pause
// when it names none.
func drainPolicy(v string) string {
	switch v {
	case executor.DrainSkip, executor.DrainFail:
		return v
	}
	return executor.DrainPause
}

// NodeUpgrade takes NodeUpgradeTime.
func (e *Executor) NodeUpgrade(_ context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	r := e.after(s, NodeUpgradeTime)
	if r.Done {
		e.setNode(n.InstanceID, func(st *NodeState) { st.Version = s.Target })
	}
	return r, nil
}

// NodeWaitReady reports the node Ready after NodeReadyTime, unless it is
// selected by upgrade.FaultNodeNeverReady or upgrade.FaultNodeNotReady: then
// it fails after NodeReadyTimeout.
func (e *Executor) NodeWaitReady(_ context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	if notReady(s, n) {
		r := e.after(s, NodeReadyTimeout)
		if r.Done {
			return r, executor.Failf("node %s did not become Ready within %s after its upgrade to %s (injected fault %s); it stays cordoned for inspection", n.Name, NodeReadyTimeout, s.Target, upgrade.FaultNodeNeverReady)
		}
		r.Blocker = fmt.Sprintf("node %s is NotReady after its upgrade to %s; waiting up to %s", n.Name, s.Target, NodeReadyTimeout)
		return r, nil
	}
	return e.after(s, NodeReadyTime), nil
}

// notReady reports whether a fault tag of the step's cluster keeps node n
// NotReady after its upgrade.
func notReady(s executor.Step, n upgrade.Node) bool {
	for _, k := range []string{upgrade.FaultNodeNeverReady, upgrade.FaultNodeNotReady} {
		if sel, ok := fault(s, k); ok && selects(sel, n) {
			return true
		}
	}
	return false
}

// alwaysSuffix on a fault tag's value makes the fault fire on retries too.
const alwaysSuffix = ";always"

// fault returns the value of the fault tag key, without its ";always"
// suffix, and whether the fault fires on this attempt of the step: every
// attempt with the suffix (or the value "always"), the first one otherwise
// (see upgrade.FaultTags).
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
