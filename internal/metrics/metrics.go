// Package metrics is ackup's Prometheus instrumentation: the operator's
// view of API traffic, authentication failures, the engine and the store.
//
// Nothing here is global. New builds a *prometheus.Registry of its own; the
// server assembly hands the methods of Metrics to the packages that observe
// (api.Config.Observe and AuthFailed, engine.Config.Observe), wraps the
// store with Store so that its errors are counted, and serves Handler at
// /metrics. Gauges that describe shared state (tasks by state, the engine's
// queue) are read when scraped, so they are true across replicas.
//
// ObserveRequest runs on every API request: its children are resolved once
// per operation, so an observation is a map read and two atomic updates,
// with no allocation.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ackup/ackup/internal/store"
)

// Metric names, for tests and dashboards.
const (
	NameRequests     = "ackup_api_requests_total"
	NameDuration     = "ackup_api_request_duration_seconds"
	NameAuthFailures = "ackup_auth_failures_total"
	NameTasks        = "ackup_tasks"
	NamePass         = "ackup_engine_pass_duration_seconds"
	NameQueueDepth   = "ackup_engine_queue_depth"
	NameStoreErrors  = "ackup_store_errors_total"
)

// Config configures Metrics.
type Config struct {
	// Operations are the API operation names whose series are resolved up
	// front (the hot path then allocates nothing). Others are counted too,
	// a little more slowly.
	Operations []string
	// Tasks counts tasks by type and state when scraped (typically the
	// store's TaskCountByState). Optional.
	Tasks func(ctx context.Context) ([]store.TaskCount, error)
	// QueueDepth reports the engine's queue when scraped (typically
	// Engine.QueueDepth). Optional.
	QueueDepth func() int
	// Logger receives scrape-time errors (default slog.Default()).
	Logger *slog.Logger
}

// Metrics holds ackup's collectors and the registry they are registered in.
// Its methods are safe for concurrent use.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
	pass         *prometheus.HistogramVec
	storeErrors  *prometheus.CounterVec
	ops          map[string]*opSeries // read-only after New
}

// opSeries are one operation's pre-resolved children.
type opSeries struct {
	duration prometheus.Observer
	// ok caches the counter of the last success status seen (200 for most
	// operations), so that counting a success allocates nothing.
	ok atomic.Pointer[statusCounter]
}

type statusCounter struct {
	status int
	c      prometheus.Counter
}

// latencyBuckets span 100µs to 10s: a status read takes well under a
// millisecond, a create or upgrade a few, and anything beyond seconds is
// trouble worth seeing.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New builds the collectors and registers them, with the Go runtime and
// process collectors, in a new registry.
func New(cfg Config) *Metrics {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: NameRequests,
			Help: "API requests answered, by operation, HTTP status and ACK error code (empty on success)."},
			[]string{"operation", "status", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: NameDuration,
			Help: "Time to answer an API request, by operation.", Buckets: latencyBuckets},
			[]string{"operation"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: NameAuthFailures,
			Help: "Requests refused by authentication, by reason (the gateway error code)."},
			[]string{"reason"}),
		pass: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: NamePass,
			Help:    "Duration of the engine's passes over tasks (each takes at most one step per node in flight), by task type and result.",
			Buckets: latencyBuckets}, []string{"type", "result"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: NameStoreErrors,
			Help: "Errors returned by the store, other than not-found, conflict, fenced and canceled, by method."},
			[]string{"method"}),
		ops: make(map[string]*opSeries, len(cfg.Operations)),
	}
	for _, op := range cfg.Operations {
		m.ops[op] = &opSeries{duration: m.duration.WithLabelValues(op)}
	}
	m.reg.MustRegister(m.requests, m.duration, m.authFailures, m.pass, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.Tasks != nil {
		m.reg.MustRegister(&taskCollector{count: cfg.Tasks, log: cfg.Logger, errs: m.storeErrors.WithLabelValues("TaskCountByState")})
	}
	if cfg.QueueDepth != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: NameQueueDepth,
			Help: "Tasks this replica's engine has claimed and not yet finished a pass over (waiting for a worker or in a pass)."},
			func() float64 { return float64(cfg.QueueDepth()) }))
	}
	return m
}

// Registry returns the registry, to gather from in-process or to register
// more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats. A
// collector that fails is logged and left out; the rest is still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ObserveRequest counts an answered API request and records its duration;
// it has api.Config.Observe's signature.
func (m *Metrics) ObserveRequest(op, code string, status int, d time.Duration) {
	s := m.ops[op]
	if s == nil {
		m.duration.WithLabelValues(op).Observe(d.Seconds())
		m.requests.WithLabelValues(op, strconv.Itoa(status), code).Inc()
		return
	}
	s.duration.Observe(d.Seconds())
	if code != "" {
		m.requests.WithLabelValues(op, strconv.Itoa(status), code).Inc()
		return
	}
	if sc := s.ok.Load(); sc != nil && sc.status == status {
		sc.c.Inc()
		return
	}
	sc := &statusCounter{status: status, c: m.requests.WithLabelValues(op, strconv.Itoa(status), "")}
	s.ok.Store(sc)
	sc.c.Inc()
}

// AuthFailed counts a request refused by authentication; it has
// api.Config.AuthFailed's signature.
func (m *Metrics) AuthFailed(reason string) {
	m.authFailures.WithLabelValues(reason).Inc()
}

// ObservePass records an engine pass; it has engine.Config.Observe's
// signature. A pass that lost its lease is "fenced", not an error.
func (m *Metrics) ObservePass(taskType string, d time.Duration, err error) {
	result := "ok"
	switch {
	case errors.Is(err, store.ErrFenced):
		result = "fenced"
	case err != nil:
		result = "error"
	}
	if taskType == "" {
		taskType = "unknown"
	}
	m.pass.WithLabelValues(taskType, result).Observe(d.Seconds())
}

// taskCollector reports the tasks by type and state, counted in the store
// at scrape time.
type taskCollector struct {
	count func(ctx context.Context) ([]store.TaskCount, error)
	log   *slog.Logger
	errs  prometheus.Counter
}

var taskDesc = prometheus.NewDesc(NameTasks,
	"Tasks by type and state, counted in the store when scraped; upgrades are the types cluster_upgrade and nodepool_upgrade.",
	[]string{"type", "state"}, nil)

// scrapeTimeout bounds the store query of one scrape.
const scrapeTimeout = 5 * time.Second

func (c *taskCollector) Describe(ch chan<- *prometheus.Desc) { ch <- taskDesc }

func (c *taskCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.errs.Inc()
		c.log.Error("metrics: count tasks", "err", err)
		ch <- prometheus.NewInvalidMetric(taskDesc, err)
		return
	}
	for _, tc := range counts {
		ch <- prometheus.MustNewConstMetric(taskDesc, prometheus.GaugeValue, float64(tc.N), string(tc.Type), string(tc.State))
	}
}
