package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/upgrade"
)

// Names of the check items Precheck reports.
const (
	CheckAPIServerHealth = "APIServerHealth"
	CheckNodeReady       = "NodeReady"
	CheckVersionSkew     = "VersionSkew"
	CheckDrainability    = "Drainability"
)

// Check statuses and levels as the check report spells them.
const (
	statusPassed  = "Passed"
	statusFailed  = "Failed"
	statusWarning = "Warning"
	levelError    = "error"
	levelWarning  = "warning"
)

// maxSkew is how many minors a kubelet may be behind the API server.
const maxSkew = 3

// Precheck reads the live cluster and reports, without changing anything:
// whether the API server is healthy (/readyz), whether every node to be
// upgraded is Ready, whether the kubelets respect the version skew policy
// for the target, and which nodes' drains would block and on which pods and
// PodDisruptionBudgets. nodes are the nodes the upgrade will touch (all live
// nodes when empty). It finishes in one call.
func (e *Executor) Precheck(ctx context.Context, s executor.Step, nodes []upgrade.Node) ([]upgrade.CheckItem, executor.Result, error) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	done := executor.Result{Done: true}
	health := e.checkHealth(ctx)
	if health.Status != statusPassed {
		items := []upgrade.CheckItem{health}
		for _, name := range []string{CheckNodeReady, CheckVersionSkew, CheckDrainability} {
			items = append(items, item(name, statusFailed, "not checked: the API server is not reachable or not ready"))
		}
		return items, done, nil
	}
	list, err := e.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, executor.Result{}, fmt.Errorf("list nodes: %w", err)
	}
	live := map[string]*corev1.Node{}
	for i := range list.Items {
		live[list.Items[i].Name] = &list.Items[i]
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	if len(names) == 0 {
		for _, n := range list.Items {
			names = append(names, n.Name)
		}
	}
	sort.Strings(names)
	cp, err := e.controlPlaneVersion(ctx)
	if err != nil {
		return nil, executor.Result{}, err
	}
	drainItem, err := e.checkDrainability(ctx, names, live)
	if err != nil {
		return nil, executor.Result{}, err
	}
	var touched []corev1.Node
	for _, name := range names {
		if n, ok := live[name]; ok {
			touched = append(touched, *n)
		}
	}
	return []upgrade.CheckItem{health, checkNodesReady(names, live), checkSkew(cp, s.Target, touched), drainItem}, done, nil
}

// item returns a check item with its category, level and description.
func item(name, status, msg string, objects ...string) upgrade.CheckItem {
	it := upgrade.CheckItem{Name: name, Status: status, Message: msg, Objects: objects, Level: levelError}
	switch name {
	case CheckAPIServerHealth:
		it.Category, it.Description = "ControlPlane", "the kube-apiserver answers /readyz with ok"
	case CheckVersionSkew:
		it.Category, it.Description = "ControlPlane", "kubelets are at most three minors behind the target and never ahead of the API server"
	case CheckNodeReady:
		it.Category, it.Description = "Node", "every node to be upgraded is Ready"
	case CheckDrainability:
		it.Category, it.Level = "Workload", levelWarning
		it.Description = "every node to be upgraded can be drained now: no PodDisruptionBudget, bare pod or pod with local storage would block it"
	}
	return it
}

func (e *Executor) checkHealth(ctx context.Context) upgrade.CheckItem {
	body, err := e.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return item(CheckAPIServerHealth, statusFailed, fmt.Sprintf("the API server is not ready: %v", err))
	}
	if got := strings.TrimSpace(string(body)); got != "ok" {
		return item(CheckAPIServerHealth, statusFailed, fmt.Sprintf("the API server's /readyz answered %q", got))
	}
	return item(CheckAPIServerHealth, statusPassed, "the API server is ready")
}

func checkNodesReady(names []string, live map[string]*corev1.Node) upgrade.CheckItem {
	var bad, objs []string
	for _, name := range names {
		n, ok := live[name]
		switch {
		case !ok:
			bad = append(bad, name+" is not in the cluster")
		case !nodeReady(n):
			bad = append(bad, name+" is NotReady")
		default:
			continue
		}
		objs = append(objs, "node/"+name)
	}
	if len(bad) > 0 {
		return item(CheckNodeReady, statusFailed, fmt.Sprintf("%d of %d nodes are not Ready: %s", len(bad), len(names), strings.Join(bad, "; ")), objs...)
	}
	return item(CheckNodeReady, statusPassed, fmt.Sprintf("all %d nodes are Ready", len(names)))
}

// checkSkew applies the kubelet version skew policy to the nodes: a
// kubelet may be up to three minors older than the API server (checked
// against the target, which the API server is about to run) and never newer
// than the API server.
func checkSkew(cp, target string, nodes []corev1.Node) upgrade.CheckItem {
	cpr, err := parseRelease(cp)
	if err != nil {
		return item(CheckVersionSkew, statusFailed, fmt.Sprintf("the API server's version cannot be read: %v", err))
	}
	tr, err := parseRelease(target)
	if err != nil {
		return item(CheckVersionSkew, statusFailed, fmt.Sprintf("the target version cannot be read: %v", err))
	}
	var bad, objs []string
	for _, n := range nodes {
		kv := n.Status.NodeInfo.KubeletVersion
		kr, err := parseRelease(kv)
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("node %s reports kubelet version %q, which cannot be read", n.Name, kv))
		case kr.compare(cpr) > 0:
			bad = append(bad, fmt.Sprintf("node %s runs kubelet %s, newer than the API server (%s)", n.Name, kv, cpr))
		case kr.minorsBehind(tr) > maxSkew:
			bad = append(bad, fmt.Sprintf("node %s runs kubelet %s, %d minors behind the target %s (at most %d allowed); upgrade it in steps first",
				n.Name, kv, kr.minorsBehind(tr), tr, maxSkew))
		default:
			continue
		}
		objs = append(objs, "node/"+n.Name)
	}
	if len(bad) > 0 {
		return item(CheckVersionSkew, statusFailed, strings.Join(bad, "; "), objs...)
	}
	return item(CheckVersionSkew, statusPassed, fmt.Sprintf("all %d kubelets are within the skew policy for %s", len(nodes), tr))
}

// checkDrainability works out, for every node, whether its pods could be
// evicted now: pods the drain refuses (bare pods, pods with local storage),
// and pods whose PodDisruptionBudget has no disruption left once the node's
// earlier pods have used the ones it allows, in the order the drain evicts.
func (e *Executor) checkDrainability(ctx context.Context, names []string, live map[string]*corev1.Node) (upgrade.CheckItem, error) {
	h := e.helper(ctx)
	budgets := map[string][]policyv1.PodDisruptionBudget{}
	var lines, objs []string
	blockedNodes := 0
	for _, name := range names {
		if _, ok := live[name]; !ok {
			continue
		}
		evictable, blocked, err := e.podsToDrain(ctx, h, name)
		if err != nil {
			return upgrade.CheckItem{}, err
		}
		used := map[string]int32{}
		for _, pod := range evictable {
			if pod.DeletionTimestamp != nil {
				continue
			}
			pdbs, err := e.namespaceBudgets(ctx, budgets, pod.Namespace)
			if err != nil {
				return upgrade.CheckItem{}, err
			}
			var guarding []policyv1.PodDisruptionBudget
			for _, pdb := range pdbs {
				if guards(pdb, pod) && budgetApplies(pdb, pod) {
					guarding = append(guarding, pdb)
				}
			}
			switch {
			case len(guarding) > 1:
				blocked = append(blocked, blockedPod{pod: pod, pdb: key(guarding[0]),
					reason: fmt.Sprintf("more than one PodDisruptionBudget selects it (%s, %s), which the Eviction API refuses", key(guarding[0]), key(guarding[1]))})
			case len(guarding) == 1:
				pdb := guarding[0]
				if used[key(pdb)] >= pdb.Status.DisruptionsAllowed {
					blocked = append(blocked, blockedPod{pod: pod, pdb: key(pdb), reason: budgetReason(pdb)})
					continue
				}
				used[key(pdb)]++
			}
		}
		if len(blocked) == 0 {
			continue
		}
		blockedNodes++
		lines = append(lines, fmt.Sprintf("node %s: %s", name, describeBlocked(blocked)))
		objs = append(objs, "node/"+name)
		for _, b := range blocked {
			objs = append(objs, "pod/"+b.pod.Namespace+"/"+b.pod.Name)
			if b.pdb != "" {
				objs = append(objs, "poddisruptionbudget/"+b.pdb)
			}
		}
	}
	if blockedNodes == 0 {
		return item(CheckDrainability, statusPassed, fmt.Sprintf("all %d nodes can be drained now", len(names))), nil
	}
	return item(CheckDrainability, statusWarning, fmt.Sprintf("%d of %d nodes would block their drain until the blocker is relaxed (the drain timeout policy then applies): %s",
		blockedNodes, len(names), strings.Join(lines, " | ")), dedupe(objs)...), nil
}

func key(pdb policyv1.PodDisruptionBudget) string { return pdb.Namespace + "/" + pdb.Name }

// dedupe drops repeated entries, keeping the first of each.
func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
