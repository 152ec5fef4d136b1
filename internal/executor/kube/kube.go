// Package kube is the Kubernetes executor: it upgrades a registered cluster
// (cluster_type ExternalKubernetes) through its API server. Nodes are
// cordoned, drained through the Eviction API honouring PodDisruptionBudgets
// (with k8s.io/kubectl/pkg/drain), upgraded by a pluggable action, waited
// for until Ready at the target version, and uncordoned; the control plane
// is upgraded by its own action and judged by the version it reports.
//
// Every method is quick and idempotent, as package executor requires: long
// actions run in the background, keyed by component, target version and the
// step's start time, and later calls report their progress; everything else
// is read from the API server on each call. This package is the only one in
// ackup that imports Kubernetes libraries; its configuration lives in the
// dependency-free package kubecfg.
package kube

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/kubectl/pkg/drain"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube/kubecfg"
	"github.com/ackup/ackup/internal/upgrade"
)

// Config is the executor's configuration; see kubecfg.Config.
type Config = kubecfg.Config

// Action is an upgrade action; see kubecfg.Action.
type Action = kubecfg.Action

// Live is a snapshot of a live cluster; see kubecfg.Live.
type Live = kubecfg.Live

// requestTimeout bounds each call to the API server, so that an executor
// method stays quick even when the cluster is not reachable.
const requestTimeout = 15 * time.Second

// Executor upgrades one Kubernetes cluster. It is safe for concurrent use.
type Executor struct {
	cfg    Config
	client kubernetes.Interface
	jobs   *jobs

	mu       sync.Mutex
	eviction *schema.GroupVersion // the Eviction API's version, once discovered
}

var _ executor.Executor = (*Executor)(nil)

// New validates cfg, applies its defaults and returns an Executor for the
// cluster its kubeconfig names. It does not contact the cluster. Errors
// about the configuration or the kubeconfig wrap kubecfg.ErrInvalid and
// never quote the kubeconfig.
func New(cfg Config) (*Executor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	rc, err := restConfig(cfg.Kubeconfig)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, kubecfg.Invalidf("the kubeconfig cannot be used: %v", err)
	}
	return &Executor{cfg: cfg, client: client, jobs: newJobs(cfg.Kubeconfig)}, nil
}

// restConfig parses a kubeconfig's current context.
func restConfig(kubeconfig []byte) (*rest.Config, error) {
	if len(bytes.TrimSpace(kubeconfig)) == 0 {
		return nil, kubecfg.Invalidf("the kubeconfig is empty")
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		// clientcmd's errors name fields and lines, not their values.
		return nil, kubecfg.Invalidf("the kubeconfig cannot be used: %v", err)
	}
	rc.Timeout = requestTimeout
	rc.UserAgent = "ackup"
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 100
	}
	return rc, nil
}

// Client returns the executor's Kubernetes client.
func (e *Executor) Client() kubernetes.Interface { return e.client }

// Config returns the executor's configuration with its defaults applied.
func (e *Executor) Config() Config { return e.cfg }

// Close stops the actions still running in the background.
func (e *Executor) Close() { e.jobs.close() }

// evictionVersion returns the Eviction API version the server offers.
func (e *Executor) evictionVersion() (schema.GroupVersion, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.eviction != nil {
		return *e.eviction, nil
	}
	gv, err := drain.CheckEvictionSupport(e.client)
	if err != nil {
		return schema.GroupVersion{}, fmt.Errorf("discover the Eviction API: %w", err)
	}
	if gv.Empty() {
		gv = policyv1.SchemeGroupVersion
	}
	e.eviction = &gv
	return gv, nil
}

// Cache hands out one Executor per cluster, so that actions started in the
// background by one engine pass are seen by the next. A cluster whose
// ExecutorConfig changes gets a new Executor.
type Cache struct {
	open func(sealed []byte) ([]byte, error)

	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	sealed []byte
	ex     *Executor
}

// NewCache returns a Cache that unseals clusters' ExecutorConfig with open
// (the server key's secret.Box Open).
func NewCache(open func(sealed []byte) ([]byte, error)) *Cache {
	return &Cache{open: open, m: map[string]cached{}}
}

// Get returns the Executor of a cluster whose Executor is "kube".
func (c *Cache) Get(cl upgrade.Cluster) (*Executor, error) {
	if cl.Executor != upgrade.ExecutorKube {
		return nil, fmt.Errorf("cluster %s uses executor %q, not %q", cl.ID, cl.Executor, upgrade.ExecutorKube)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit, ok := c.m[cl.ID]; ok && bytes.Equal(hit.sealed, cl.ExecutorConfig) {
		return hit.ex, nil
	}
	plain, err := c.open(cl.ExecutorConfig)
	if err != nil {
		return nil, fmt.Errorf("open the executor configuration of cluster %s: %w", cl.ID, err)
	}
	cfg, err := kubecfg.Decode(plain)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.ID, err)
	}
	ex, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.ID, err)
	}
	if old, ok := c.m[cl.ID]; ok {
		old.ex.Close()
	}
	c.m[cl.ID] = cached{sealed: append([]byte(nil), cl.ExecutorConfig...), ex: ex}
	return ex, nil
}

// Close stops every cached executor's background actions.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, hit := range c.m {
		hit.ex.Close()
		delete(c.m, id)
	}
}

// ctxTimeout bounds one method's calls to the API server.
func ctxTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 2*requestTimeout)
}
