package kube

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/kubectl/pkg/drain"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/upgrade"
)

// drainRetry is how soon a drain that has not finished is looked at again.
const drainRetry = 2 * time.Second

// maxBlockers bounds how many blocked pods a message names.
const maxBlockers = 3

// helper returns a kubectl drain helper configured as the cluster asks:
// DaemonSet pods stay, pods with emptyDir volumes and pods without a
// controller block unless allowed, and pods go through the Eviction API
// with their own grace period.
func (e *Executor) helper(ctx context.Context) *drain.Helper {
	return &drain.Helper{
		Ctx:                 ctx,
		Client:              e.client,
		Force:               e.cfg.ForceBarePods,
		GracePeriodSeconds:  -1,
		IgnoreAllDaemonSets: true,
		DeleteEmptyDirData:  e.cfg.DeleteEmptyDirData,
		Out:                 io.Discard,
		ErrOut:              io.Discard,
	}
}

// NodeCordon marks a node unschedulable (a no-op if it already is).
func (e *Executor) NodeCordon(ctx context.Context, _ executor.Step, n upgrade.Node) error {
	return e.cordon(ctx, n.Name, true)
}

// NodeUncordon marks a node schedulable (a no-op if it already is).
func (e *Executor) NodeUncordon(ctx context.Context, _ executor.Step, n upgrade.Node) error {
	return e.cordon(ctx, n.Name, false)
}

func (e *Executor) cordon(ctx context.Context, name string, on bool) error {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	node, err := e.getNode(ctx, name)
	if err != nil {
		return err
	}
	if err := drain.RunCordonOrUncordon(e.helper(ctx), node, on); err != nil {
		return fmt.Errorf("node %s: %w", name, err)
	}
	return nil
}

// blockedPod is a pod that cannot leave a node now, and why.
type blockedPod struct {
	pod    corev1.Pod
	reason string
	pdb    string // namespace/name of the PodDisruptionBudget, if one blocks
}

func (b blockedPod) String() string {
	return fmt.Sprintf("pod %s/%s on node %s cannot be evicted: %s", b.pod.Namespace, b.pod.Name, b.pod.Spec.NodeName, b.reason)
}

// describeBlocked joins what blocks a node's drain into one line.
func describeBlocked(bs []blockedPod) string {
	var parts []string
	for i, b := range bs {
		if i == maxBlockers {
			parts = append(parts, fmt.Sprintf("and %d more pods", len(bs)-maxBlockers))
			break
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}

// NodeDrain takes one pass at draining a cordoned node: it evicts every pod
// the drain helper selects (honouring PodDisruptionBudgets), and reports Done
// once none is left. While pods cannot be evicted it names them, their node
// and the budget that holds them in Result.Blocker; once the drain has been
// blocked for the configured timeout it returns *executor.DrainTimeoutError.
func (e *Executor) NodeDrain(ctx context.Context, s executor.Step, n upgrade.Node) (executor.Result, error) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	if _, err := e.getNode(ctx, n.Name); err != nil {
		return executor.Result{}, err
	}
	gv, err := e.evictionVersion()
	if err != nil {
		return executor.Result{}, err
	}
	h := e.helper(ctx)
	evictable, blocked, err := e.podsToDrain(ctx, h, n.Name)
	if err != nil {
		return executor.Result{}, err
	}
	budgets := map[string][]policyv1.PodDisruptionBudget{}
	terminating := 0
	for _, pod := range evictable {
		if pod.DeletionTimestamp != nil {
			terminating++
			continue
		}
		err := h.EvictPod(pod, gv)
		switch {
		case err == nil:
			terminating++
		case apierrors.IsNotFound(err):
		case apierrors.IsTooManyRequests(err):
			b, err := e.pdbBlocked(ctx, budgets, pod, err)
			if err != nil {
				return executor.Result{}, err
			}
			blocked = append(blocked, b)
		default:
			// For example a pod guarded by two budgets: the Eviction API
			// refuses it until a person sorts the budgets out.
			blocked = append(blocked, blockedPod{pod: pod, reason: fmt.Sprintf("the Eviction API refused it: %v", err)})
		}
	}
	if len(blocked) == 0 && terminating == 0 {
		return executor.Result{Done: true}, nil
	}
	r := executor.Result{RetryAfter: drainRetry, Blocker: describeBlocked(blocked)}
	if len(blocked) > 0 {
		r.BlockedPod, r.BlockingPDB = blocked[0].pod.Namespace+"/"+blocked[0].pod.Name, blocked[0].pdb
	}
	if s.Elapsed() < e.cfg.DrainTimeout {
		return r, nil
	}
	if r.Blocker == "" {
		r.Blocker = fmt.Sprintf("%d evicted pods on node %s have not terminated", terminating, n.Name)
	}
	return r, &executor.DrainTimeoutError{Policy: e.cfg.DrainTimeoutPolicy, Blocker: r.Blocker, Timeout: e.cfg.DrainTimeout}
}

// podsToDrain lists the pods of a node that the drain must move (evictable)
// and those the drain helper refuses to move (bare pods, pods with local
// storage, unless configured otherwise). DaemonSet and mirror pods stay.
func (e *Executor) podsToDrain(ctx context.Context, h *drain.Helper, node string) (evictable []corev1.Pod, blocked []blockedPod, err error) {
	list, errs := h.GetPodsForDeletion(node)
	if list == nil {
		return nil, nil, fmt.Errorf("list the pods of node %s: %v", node, errs)
	}
	if len(errs) == 0 {
		return list.Pods(), nil, nil
	}
	// The helper reports refused pods grouped by reason, as
	// "cannot delete <reason>: ns/a, ns/b"; read back which pods it refused
	// and word the reason for each from the pod itself.
	refused := map[string]string{}
	for _, err := range errs {
		msg := strings.TrimPrefix(err.Error(), "cannot delete ")
		i := strings.LastIndex(msg, ": ")
		if i < 0 {
			return nil, nil, fmt.Errorf("list the pods of node %s: %w", node, err)
		}
		for _, p := range strings.Split(msg[i+2:], ", ") {
			refused[p] = msg[:i]
		}
	}
	pods, lerr := e.client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if lerr != nil {
		return nil, nil, fmt.Errorf("list the pods of node %s: %w", node, lerr)
	}
	for _, pod := range pods.Items {
		if why, ok := refused[pod.Namespace+"/"+pod.Name]; ok {
			blocked = append(blocked, blockedPod{pod: pod, reason: refusalReason(pod, why)})
		}
	}
	return list.Pods(), blocked, nil
}

// refusalReason says in plain words why the drain helper refused a pod.
func refusalReason(pod corev1.Pod, helperMsg string) string {
	if metav1.GetControllerOf(&pod) == nil {
		return "no controller manages it (a bare pod would not be recreated; delete it, or register the cluster with force_bare_pods)"
	}
	for _, v := range pod.Spec.Volumes {
		if v.EmptyDir != nil {
			return fmt.Sprintf("it keeps data in emptyDir volume %q, which eviction would lose (delete it, or register the cluster with delete_emptydir_data)", v.Name)
		}
	}
	return helperMsg
}

// pdbBlocked names the PodDisruptionBudget that made the Eviction API
// refuse a pod (budgets caches each namespace's budgets for one call).
func (e *Executor) pdbBlocked(ctx context.Context, budgets map[string][]policyv1.PodDisruptionBudget, pod corev1.Pod, evictErr error) (blockedPod, error) {
	pdbs, err := e.namespaceBudgets(ctx, budgets, pod.Namespace)
	if err != nil {
		return blockedPod{}, err
	}
	for _, pdb := range pdbs {
		if guards(pdb, pod) {
			return blockedPod{pod: pod, pdb: pdb.Namespace + "/" + pdb.Name, reason: budgetReason(pdb)}, nil
		}
	}
	return blockedPod{pod: pod, reason: fmt.Sprintf("the Eviction API refused it: %v", evictErr)}, nil
}

func budgetReason(pdb policyv1.PodDisruptionBudget) string {
	return fmt.Sprintf("PodDisruptionBudget %s/%s allows %d disruptions (%d of %d desired pods healthy)",
		pdb.Namespace, pdb.Name, pdb.Status.DisruptionsAllowed, pdb.Status.CurrentHealthy, pdb.Status.DesiredHealthy)
}

func (e *Executor) namespaceBudgets(ctx context.Context, budgets map[string][]policyv1.PodDisruptionBudget, ns string) ([]policyv1.PodDisruptionBudget, error) {
	if pdbs, ok := budgets[ns]; ok {
		return pdbs, nil
	}
	list, err := e.client.PolicyV1().PodDisruptionBudgets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the PodDisruptionBudgets of namespace %s: %w", ns, err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	budgets[ns] = list.Items
	return list.Items, nil
}

// guards reports whether a budget's selector selects a pod.
func guards(pdb policyv1.PodDisruptionBudget, pod corev1.Pod) bool {
	if pdb.Namespace != pod.Namespace || pdb.Spec.Selector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || sel.Empty() {
		return false
	}
	return sel.Matches(labels.Set(pod.Labels))
}

// budgetApplies mirrors the Eviction API's rules on when a guarding budget
// is consulted at all: pods that are not running are evicted regardless,
// and so are running pods that are not Ready when the budget's healthy
// count is met (or its policy says AlwaysAllow).
func budgetApplies(pdb policyv1.PodDisruptionBudget, pod corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning {
		return false
	}
	if podReady(pod) {
		return true
	}
	if p := pdb.Spec.UnhealthyPodEvictionPolicy; p != nil && *p == policyv1.AlwaysAllow {
		return false
	}
	return pdb.Status.CurrentHealthy < pdb.Status.DesiredHealthy
}

func podReady(pod corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
