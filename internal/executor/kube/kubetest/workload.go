package kubetest

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Namespace creates a namespace (no error if it exists).
func Namespace(ctx context.Context, c kubernetes.Interface, name string) error {
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// ReplicatedPods creates a ReplicaSet named name in ns and one pod per node
// owned by it, labelled app=name, bound to the node, Running and Ready. No
// controller runs, so the pods stay as created until evicted. Pods are
// named name-0, name-1, ... in the order of nodes.
func ReplicatedPods(ctx context.Context, c kubernetes.Interface, ns, name string, nodes ...string) ([]corev1.Pod, error) {
	labels := map[string]string{"app": name}
	replicas := int32(len(nodes))
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec("")},
		},
	}
	rs, err := c.AppsV1().ReplicaSets(ns).Create(ctx, rs, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create ReplicaSet %s/%s: %w", ns, name, err)
	}
	yes := true
	owner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}
	var out []corev1.Pod
	for i, node := range nodes {
		p, err := runPod(ctx, c, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", name, i), Namespace: ns, Labels: labels,
				OwnerReferences: []metav1.OwnerReference{owner}},
			Spec: podSpec(node),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// BarePod creates a Running, Ready pod that no controller manages.
func BarePod(ctx context.Context, c kubernetes.Interface, ns, name, node string) (corev1.Pod, error) {
	return runPod(ctx, c, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}}, Spec: podSpec(node)})
}

// LocalStoragePod creates a ReplicaSet-owned, Running, Ready pod with an
// emptyDir volume.
func LocalStoragePod(ctx context.Context, c kubernetes.Interface, ns, name, node string) (corev1.Pod, error) {
	pods, err := ReplicatedPods(ctx, c, ns, name)
	if err != nil || len(pods) > 0 {
		return corev1.Pod{}, err
	}
	rs, err := c.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return corev1.Pod{}, err
	}
	yes := true
	spec := podSpec(node)
	spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
	return runPod(ctx, c, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-0", Namespace: ns, Labels: map[string]string{"app": name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}}},
		Spec: spec,
	})
}

func podSpec(node string) corev1.PodSpec {
	no := false
	return corev1.PodSpec{
		NodeName:                     node,
		AutomountServiceAccountToken: &no,
		Containers:                   []corev1.Container{{Name: "app", Image: "registry.invalid/ackup/pause:1"}},
	}
}

// runPod creates a pod and marks it Running and Ready, as a kubelet would.
func runPod(ctx context.Context, c kubernetes.Interface, p *corev1.Pod) (corev1.Pod, error) {
	p, err := c.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		return corev1.Pod{}, fmt.Errorf("create pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	now := metav1.Now()
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: p.Spec.Containers[0].Image, Ready: true,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}
	p, err = c.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if err != nil {
		return corev1.Pod{}, fmt.Errorf("mark pod %s/%s running: %w", p.Namespace, p.Name, err)
	}
	return *p, nil
}

// PDB creates a PodDisruptionBudget selecting app=app in ns and sets its
// status as a disruption controller would, allowing allowed disruptions of
// the healthy pods that exist.
func PDB(ctx context.Context, c kubernetes.Interface, ns, name, app string, allowed int32) error {
	one := intstr.FromInt32(1)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}},
	}
	if _, err := c.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create PodDisruptionBudget %s/%s: %w", ns, name, err)
	}
	return SetPDBAllowed(ctx, c, ns, name, allowed)
}

// SetPDBAllowed sets a budget's status to allow allowed disruptions, with
// the healthy counts that imply it, as the disruption controller would.
func SetPDBAllowed(ctx context.Context, c kubernetes.Interface, ns, name string, allowed int32) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pdb, err := c.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			return err
		}
		pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return err
		}
		healthy := int32(len(pods.Items))
		pdb.Status = policyv1.PodDisruptionBudgetStatus{
			ObservedGeneration: pdb.Generation,
			DisruptionsAllowed: allowed,
			CurrentHealthy:     healthy,
			DesiredHealthy:     max(healthy-allowed, 0),
			ExpectedPods:       healthy,
		}
		_, err = c.PolicyV1().PodDisruptionBudgets(ns).UpdateStatus(ctx, pdb, metav1.UpdateOptions{})
		return err
	})
}
