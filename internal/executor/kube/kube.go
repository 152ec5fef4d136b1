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
	"log/slog"
	"sync"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/drain"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/kubecfg"
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

// Options are the server's settings for every registered cluster.
type Options struct {
	// AllowKubeconfigExec lets kubeconfigs carry exec credential plugins
	// and auth-providers, which run on the ackup host, and name files on
	// it. Off by default: such kubeconfigs are refused.
	AllowKubeconfigExec bool
	// Actions are the operator's named actions, which clusters' command
	// actions refer to by name. A name is looked up when its step runs.
	Actions kubecfg.Actions
	// Logger receives the actions' output and the details of failures
	// that the API only summarises (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.Default()
	}
	return o.Logger
}

// Executor upgrades one Kubernetes cluster. It is safe for concurrent use.
type Executor struct {
	cfg    Config
	opts   Options
	client kubernetes.Interface
	jobs   *jobs

	mu       sync.Mutex
	eviction *schema.GroupVersion // the Eviction API's version, once discovered
}

var _ executor.Executor = (*Executor)(nil)

// New validates cfg, applies its defaults and returns an Executor for the
// cluster its kubeconfig names. It does not contact the cluster. Errors
// about the configuration or the kubeconfig wrap kubecfg.ErrInvalid and
// never quote the kubeconfig. A kubeconfig that would run code or read
// files on this host is refused unless opts allow it. The actions' names
// are not checked here (Options.Snapshot checks them at registration): a
// name the operator removed since fails its step when it comes.
func New(cfg Config, opts Options) (*Executor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return open(cfg, opts)
}

// open builds an Executor from a configuration already validated (by
// Validate, or by kubecfg.Decode for a stored one).
func open(cfg Config, opts Options) (*Executor, error) {
	cfg = cfg.WithDefaults()
	rc, err := restConfig(cfg.Kubeconfig, opts.AllowKubeconfigExec)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, kubecfg.Invalidf("the kubeconfig cannot be used: %v", err)
	}
	return &Executor{cfg: cfg, opts: opts, client: client, jobs: newJobs(cfg.Kubeconfig, rc, opts.logger())}, nil
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
	unseal func(sealed []byte) ([]byte, error)
	opts   Options

	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	sealed []byte
	ex     *Executor
}

// NewCache returns a Cache that unseals clusters' ExecutorConfig with
// unseal (the server key's secret.Box Open) and builds their executors
// with opts.
func NewCache(unseal func(sealed []byte) ([]byte, error), opts Options) *Cache {
	return &Cache{unseal: unseal, opts: opts, m: map[string]cached{}}
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
	plain, err := c.unseal(cl.ExecutorConfig)
	if err != nil {
		return nil, fmt.Errorf("open the executor configuration of cluster %s: %w", cl.ID, err)
	}
	cfg, err := kubecfg.Decode(plain)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.ID, err)
	}
	ex, err := open(cfg, c.opts)
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
