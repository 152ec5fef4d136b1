package server

import (
	"github.com/ackup/ackup/internal/api"
	"github.com/ackup/ackup/internal/metrics"
)

// newMetrics builds the server's instrumentation: series resolved up front
// for every API operation, tasks by state counted in the store at scrape
// time (true across replicas sharing it), and this replica's engine queue.
func (s *Server) newMetrics() *metrics.Metrics {
	ops := api.Operations()
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = op.Name
	}
	return metrics.New(metrics.Config{
		Operations: names,
		Tasks:      s.Store.TaskCountByState,
		QueueDepth: func() int { return s.Engine.QueueDepth() },
		Logger:     s.cfg.Logger,
	})
}
