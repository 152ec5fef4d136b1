package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackup/ackup/internal/kubecfg"
)

// Snapshot reads a live cluster for its registration: the control plane's
// version (from the source cfg names), and every node with its pool,
// kubelet version, Ready condition and cordon state. The service records
// it and reflects it in DescribeClusterDetail and friends. Before anything
// is contacted, cfg's actions must name actions o declares and its
// kubeconfig must pass o's rules (errors wrapping kubecfg.ErrInvalid). A
// cluster that cannot be read is a *kubecfg.ReachError, whose message says
// why in a few words and never quotes what the server answered.
func (o Options) Snapshot(ctx context.Context, cfg Config) (Live, error) {
	if err := cfg.Validate(); err != nil {
		return Live{}, err
	}
	if err := o.Actions.Check(cfg); err != nil {
		return Live{}, err
	}
	e, err := New(cfg, o)
	if err != nil {
		return Live{}, err
	}
	defer e.Close()
	l, err := e.Snapshot(ctx)
	if err != nil {
		return Live{}, reachError(err)
	}
	return l, nil
}

// Snapshot reads the live cluster; see the function Snapshot.
func (e *Executor) Snapshot(ctx context.Context) (Live, error) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	v, err := e.controlPlaneVersion(ctx)
	if err != nil {
		return Live{}, err
	}
	nodes, err := e.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Live{}, fmt.Errorf("list nodes: %w", err)
	}
	l := Live{ServerVersion: ACKVersion(v), KubeVersion: v}
	for i := range nodes.Items {
		l.Nodes = append(l.Nodes, e.liveNode(&nodes.Items[i]))
	}
	return l, nil
}

// liveNode describes one node.
func (e *Executor) liveNode(n *corev1.Node) kubecfg.LiveNode {
	ln := kubecfg.LiveNode{
		Name:           n.Name,
		Pool:           n.Labels[e.cfg.PoolLabel],
		InstanceID:     n.Name,
		InstanceType:   n.Labels[corev1.LabelInstanceTypeStable],
		KubeletVersion: n.Status.NodeInfo.KubeletVersion,
		Version:        ACKVersion(n.Status.NodeInfo.KubeletVersion),
		Ready:          nodeReady(n),
		Unschedulable:  n.Spec.Unschedulable,
	}
	if ln.Pool == "" {
		ln.Pool = kubecfg.DefaultPoolName
	}
	if id := n.Spec.ProviderID; id != "" {
		ln.InstanceID = id[strings.LastIndex(id, "/")+1:]
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			ln.IP = a.Address
			break
		}
	}
	return ln
}

// nodeReady reports whether a node's Ready condition is True.
func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// controlPlaneVersion returns the control plane's version as the cluster
// reports it: the override ConfigMap's when so configured and present, else
// the API server's /version.
func (e *Executor) controlPlaneVersion(ctx context.Context) (string, error) {
	if e.cfg.ControlPlaneVersionFrom == kubecfg.VersionFromConfigMap {
		cm, err := e.client.CoreV1().ConfigMaps(kubecfg.ControlPlaneConfigMapNamespace).Get(ctx, kubecfg.ControlPlaneConfigMapName, metav1.GetOptions{})
		switch {
		case err == nil && cm.Data[kubecfg.ControlPlaneConfigMapKey] != "":
			return cm.Data[kubecfg.ControlPlaneConfigMapKey], nil
		case err != nil && !apierrors.IsNotFound(err):
			return "", fmt.Errorf("read ConfigMap %s/%s: %w", kubecfg.ControlPlaneConfigMapNamespace, kubecfg.ControlPlaneConfigMapName, err)
		}
	}
	info, err := e.client.Discovery().ServerVersion()
	if err != nil {
		return "", fmt.Errorf("read the API server's version: %w", err)
	}
	if info.GitVersion == "" {
		return "", errors.New("the API server reports no version")
	}
	return info.GitVersion, nil
}

// getNode reads a node; a missing node is a terminal failure of the step.
func (e *Executor) getNode(ctx context.Context, name string) (*corev1.Node, error) {
	n, err := e.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, errNodeGone(name)
	}
	if err != nil {
		return nil, fmt.Errorf("get node %s: %w", name, err)
	}
	return n, nil
}
