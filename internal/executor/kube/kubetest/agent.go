package kubetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/ackup/ackup/internal/kubecfg"
)

// AgentTick is how often the agent looks at its nodes, pods and commands.
const AgentTick = 100 * time.Millisecond

// heartbeat is how often the agent refreshes its nodes' Ready condition.
const heartbeat = 5 * time.Second

// Agent plays the kubelets of the Node objects it creates: it keeps their
// Ready condition and heartbeat current, reports a kubelet version, deletes
// their pods once they are being deleted (no kubelet runs to confirm), and
// changes a node's version when its NodeAction runs for it
// (NotReady first, then Ready at the new version, as a reboot would). It
// also plays the control plane's upgrade: its ControlPlaneAction sets the
// override ConfigMap that the executor reads with control_plane_version_from
// "configmap".
type Agent struct {
	client kubernetes.Interface
	dir    string // where the commands leave their requests

	mu     sync.Mutex
	nodes  map[string]*agentNode
	cancel context.CancelFunc
	done   chan struct{}
	err    error // the last error of the loop, for diagnostics
}

type agentNode struct {
	version string // reported kubelet version
	ready   bool
	pending string    // version a command asked for, applied after a NotReady tick
	beat    time.Time // last heartbeat written
	applied int       // command requests seen
}

// NewAgent returns an agent that talks to client and whose commands write
// under dir.
func NewAgent(client kubernetes.Interface, dir string) *Agent {
	return &Agent{client: client, dir: dir, nodes: map[string]*agentNode{}}
}

// StartAgent starts an agent for a test with its own command directory,
// stopped at cleanup.
func StartAgent(t testing.TB, client kubernetes.Interface) *Agent {
	a := NewAgent(client, t.TempDir())
	a.Start(context.Background())
	t.Cleanup(a.Stop)
	return a
}

// StartAgentIn starts an agent for a test whose commands write under dir,
// a directory that a server's AgentActions(dir) were declared with and
// that several tests take in turn: the requests of earlier agents are
// removed first. It is stopped at cleanup.
func StartAgentIn(t testing.TB, client kubernetes.Interface, dir string) *Agent {
	old, err := filepath.Glob(filepath.Join(dir, "node-*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(old, filepath.Join(dir, "control-plane")) {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	a := NewAgent(client, dir)
	a.Start(context.Background())
	t.Cleanup(a.Stop)
	return a
}

// Start runs the agent's loop until Stop.
func (a *Agent) Start(ctx context.Context) {
	ctx, a.cancel = context.WithCancel(ctx)
	a.done = make(chan struct{})
	go func() {
		defer close(a.done)
		tick := time.NewTicker(AgentTick)
		defer tick.Stop()
		for {
			a.step(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Stop ends the loop and waits for it.
func (a *Agent) Stop() {
	if a.cancel != nil {
		a.cancel()
		<-a.done
	}
}

// Err returns the last error the loop met (nil if none), for diagnostics.
func (a *Agent) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// The names of the agent's actions.
const (
	NodeAction         = "agent-node"
	ControlPlaneAction = "agent-control-plane"
)

// Actions are the agent's named actions; see AgentActions.
func (a *Agent) Actions() kubecfg.Actions { return AgentActions(a.dir) }

// AgentActions are the named actions, as an operator declares them, of
// the agents whose commands write under dir: NodeAction asks the agent to
// move the node in ACKUP_NODE_NAME to ACKUP_TARGET_VERSION (and fails when
// KUBECONFIG does not name a non-empty file); ControlPlaneAction asks it
// to report ACKUP_TARGET_VERSION in the control plane's override
// ConfigMap.
func AgentActions(dir string) kubecfg.Actions {
	return kubecfg.Actions{
		{Name: NodeAction, Kubeconfig: true, Timeout: 10 * time.Minute, Argv: []string{"/bin/sh", "-c", `[ -s "$KUBECONFIG" ] || { echo "KUBECONFIG is not a file" >&2; exit 3; }
echo "$ACKUP_TARGET_VERSION $ACKUP_CLUSTER_ID" >> "$0/node-$ACKUP_NODE_NAME"`, dir}},
		{Name: ControlPlaneAction, Timeout: 10 * time.Minute, Argv: []string{"/bin/sh", "-c", `echo "$ACKUP_TARGET_VERSION $ACKUP_CLUSTER_ID" >> "$0/control-plane"`, dir}},
	}
}

// FailAction is a named action that fails with a message on stderr.
func FailAction(name, msg string) kubecfg.NamedAction {
	return kubecfg.NamedAction{Name: name, Timeout: time.Minute, Argv: []string{"/bin/sh", "-c", `echo "$0 ($ACKUP_NODE_NAME)" >&2; exit 7`, msg}}
}

// CommandRuns returns how many times the NodeAction ran for node (or the
// ControlPlaneAction for "control-plane").
func (a *Agent) CommandRuns(node string) int {
	reqs, _ := a.requests(node)
	return len(reqs)
}

// requests reads the versions the commands asked for node, oldest first.
func (a *Agent) requests(node string) ([]string, error) {
	name := "node-" + node
	if node == "control-plane" {
		name = node
	}
	b, err := os.ReadFile(filepath.Join(a.dir, name))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var versions []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			versions = append(versions, f[0])
		}
	}
	return versions, nil
}

// AddNode creates a Ready node with a kubelet version ("v1.33.3") and
// labels, and keeps it current.
func (a *Agent) AddNode(ctx context.Context, name, version string, labels map[string]string) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := a.client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", name, err)
	}
	a.mu.Lock()
	st := &agentNode{version: version, ready: true}
	a.nodes[name] = st
	a.mu.Unlock()
	return a.writeStatus(ctx, name)
}

// SetReady changes a node's Ready condition now.
func (a *Agent) SetReady(ctx context.Context, name string, ready bool) error {
	a.mu.Lock()
	st, ok := a.nodes[name]
	if ok {
		st.ready = ready
	}
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("the agent does not run node %s", name)
	}
	return a.writeStatus(ctx, name)
}

// SetVersion changes a node's kubelet version now.
func (a *Agent) SetVersion(ctx context.Context, name, version string) error {
	a.mu.Lock()
	st, ok := a.nodes[name]
	if ok {
		st.version = version
	}
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("the agent does not run node %s", name)
	}
	return a.writeStatus(ctx, name)
}

// writeStatus writes a node's status as the agent holds it.
func (a *Agent) writeStatus(ctx context.Context, name string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := a.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		a.mu.Lock()
		st := *a.nodes[name]
		a.nodes[name].beat = time.Now()
		a.mu.Unlock()
		now := metav1.Now()
		cond := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "kubelet is posting ready status (ackup test agent)", LastHeartbeatTime: now, LastTransitionTime: now}
		if !st.ready {
			cond.Status, cond.Reason, cond.Message = corev1.ConditionFalse, "KubeletNotReady", "kubelet is restarting (ackup test agent)"
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == cond.Status {
				cond.LastTransitionTime = c.LastTransitionTime
			}
		}
		n.Status.Conditions = []corev1.NodeCondition{cond}
		n.Status.NodeInfo.KubeletVersion = st.version
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: name}}
		_, err = a.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
}

// step is one look: command requests, heartbeats, pods being deleted.
func (a *Agent) step(ctx context.Context) {
	if err := a.stepErr(ctx); err != nil && ctx.Err() == nil {
		a.mu.Lock()
		a.err = err
		a.mu.Unlock()
	}
}

func (a *Agent) stepErr(ctx context.Context) error {
	a.mu.Lock()
	var names []string
	for name := range a.nodes {
		names = append(names, name)
	}
	a.mu.Unlock()
	for _, name := range names {
		if err := a.stepNode(ctx, name); err != nil {
			return err
		}
	}
	if err := a.stepControlPlane(ctx); err != nil {
		return err
	}
	return a.reapPods(ctx)
}

// stepNode applies a node's command requests: the first tick after a
// request makes the node NotReady, the next brings it back Ready at the
// requested version.
func (a *Agent) stepNode(ctx context.Context, name string) error {
	reqs, err := a.requests(name)
	if err != nil {
		return err
	}
	a.mu.Lock()
	st := a.nodes[name]
	write := time.Since(st.beat) > heartbeat
	switch {
	case st.pending != "":
		st.version, st.ready, st.pending = st.pending, true, ""
		write = true
	case len(reqs) > st.applied:
		st.applied = len(reqs)
		st.pending, st.ready = reqs[len(reqs)-1], false
		write = true
	}
	a.mu.Unlock()
	if !write {
		return nil
	}
	return a.writeStatus(ctx, name)
}

// stepControlPlane applies the control plane command's last request.
func (a *Agent) stepControlPlane(ctx context.Context) error {
	reqs, err := a.requests("control-plane")
	if err != nil || len(reqs) == 0 {
		return err
	}
	return SetControlPlaneVersion(ctx, a.client, reqs[len(reqs)-1])
}

// reapPods deletes, at once, the pods of the agent's nodes that are being
// deleted: the kubelet would confirm their end.
func (a *Agent) reapPods(ctx context.Context) error {
	pods, err := a.client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	zero := int64(0)
	for _, p := range pods.Items {
		a.mu.Lock()
		_, ours := a.nodes[p.Spec.NodeName]
		a.mu.Unlock()
		if !ours || p.DeletionTimestamp == nil {
			continue
		}
		err := a.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// SetControlPlaneVersion writes the control plane's override version
// (ConfigMap kube-system/ackup-control-plane, key "version").
func SetControlPlaneVersion(ctx context.Context, c kubernetes.Interface, version string) error {
	cms := c.CoreV1().ConfigMaps("kube-system")
	cm, err := cms.Get(ctx, "ackup-control-plane", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "ackup-control-plane", Namespace: "kube-system"},
			Data: map[string]string{"version": version}}, metav1.CreateOptions{})
		return err
	}
	if err != nil || cm.Data["version"] == version {
		return err
	}
	cm.Data = map[string]string{"version": version}
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}
