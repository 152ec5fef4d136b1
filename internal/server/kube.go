package server

import (
	"context"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/upgrade"
)

// kubeExecutor returns the Kubernetes executor of a registered cluster
// from the server's one cache: commands run in the background, so the
// engine's passes and the service's reads must all meet the same
// executor.
func (s *Server) kubeExecutor(c upgrade.Cluster) (executor.Executor, error) {
	ex, err := s.kube.Get(c)
	if err != nil {
		return nil, err // never a nil *kube.Executor in a non-nil interface
	}
	return ex, nil
}

// kubeLive reads a registered cluster as it is now, through its cached
// executor; the service refreshes its records from it on reads.
func (s *Server) kubeLive(ctx context.Context, c upgrade.Cluster) (kubecfg.Live, error) {
	ex, err := s.kube.Get(c)
	if err != nil {
		return kubecfg.Live{}, err
	}
	return ex.Snapshot(ctx)
}
