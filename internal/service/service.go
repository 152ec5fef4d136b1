// Package service holds ackup's operations: creating and describing
// clusters, starting, pausing, resuming and cancelling upgrades, running
// checks. It is the one place that opens a transaction around a domain
// transition; the HTTP layer decodes and encodes, the engine carries out.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// Config configures a Service.
type Config struct {
	Store store.Store
	// Box seals and opens AccessKey secrets.
	Box *secret.Box
	// Executor returns the executor that carries out a cluster's work; used
	// to run standalone checks.
	Executor func(c upgrade.Cluster) (executor.Executor, error)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Wake, when set, nudges the engine to look at a task now.
	Wake func(taskID string)
	// KeyCacheTTL bounds how long a resolved AccessKey is trusted without
	// re-reading the store (default DefaultKeyCacheTTL).
	KeyCacheTTL time.Duration
	// Snapshot reads a live cluster through a kubeconfig (kube.Snapshot);
	// RegisterExternal needs it.
	Snapshot func(ctx context.Context, cfg kubecfg.Config) (kubecfg.Live, error)
	// Live reads a registered cluster as it is now (through its cached
	// executor). When set, DescribeCluster, ListNodePools and ListNodes
	// refresh ExecutorKube clusters from it (see external.go).
	Live func(ctx context.Context, c upgrade.Cluster) (kubecfg.Live, error)
	// Logger receives the failures of those refreshes (default
	// slog.Default()).
	Logger *slog.Logger
	// MaxClustersPerAccount is how many live clusters one account may
	// have; CreateCluster and RegisterCluster beyond it answer
	// QuotaExceeded.Cluster (default DefaultMaxClusters).
	MaxClustersPerAccount int
}

// Service implements the API's operations over a store. Every method takes
// the calling account: objects of other accounts behave as if they did not
// exist. Errors are *upgrade.Error for anything the client caused; any other
// error is internal.
type Service struct {
	st          store.Store
	box         *secret.Box
	executor    func(c upgrade.Cluster) (executor.Executor, error)
	now         func() time.Time
	wake        func(string)
	keyTTL      time.Duration
	keys        sync.Map // access key id -> *keyEntry
	snapshot    func(ctx context.Context, cfg kubecfg.Config) (kubecfg.Live, error)
	live        func(ctx context.Context, c upgrade.Cluster) (kubecfg.Live, error)
	log         *slog.Logger
	refresh     liveRefresh
	maxClusters int
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Box == nil || cfg.Executor == nil {
		return nil, errors.New("service: Store, Box and Executor are required")
	}
	s := &Service{st: cfg.Store, box: cfg.Box, executor: cfg.Executor, now: cfg.Now, wake: cfg.Wake, keyTTL: cfg.KeyCacheTTL,
		snapshot: cfg.Snapshot, live: cfg.Live, log: cfg.Logger, maxClusters: cfg.MaxClustersPerAccount}
	if s.maxClusters <= 0 {
		s.maxClusters = DefaultMaxClusters
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.wake == nil {
		s.wake = func(string) {}
	}
	if s.keyTTL <= 0 {
		s.keyTTL = DefaultKeyCacheTTL
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// clusterGet reads a live cluster of account, mapping absence to the API's
// not-found error.
func (s *Service) clusterGet(ctx context.Context, q store.Querier, account, id string) (upgrade.Cluster, error) {
	c, err := q.ClusterGet(ctx, account, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.State == upgrade.ClusterDeleted) {
		return upgrade.Cluster{}, upgrade.NotFound(upgrade.ResCluster, id)
	}
	if err != nil {
		return upgrade.Cluster{}, fmt.Errorf("get cluster %s: %w", id, err)
	}
	return c, nil
}

// event builds a task event stamped now.
func (s *Service) event(reason, message string) upgrade.TaskEvent {
	return upgrade.TaskEvent{Time: s.now().UTC(), Action: "", Level: upgrade.LevelNormal, Reason: reason, Message: message, Source: "ACK"}
}
