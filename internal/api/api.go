// Package api is ackup's HTTP layer: ACK's cluster-upgrade API (OpenAPI
// product CS, version 2015-12-15, ROA style) exactly as the official SDKs
// see it on the wire.
//
// One route table (Operations) drives routing, query validation and the
// machine-readable description served at GET /api/ackup/operations. Routing
// is on method plus escaped path, so ids containing "/" (sent as %2F) reach
// the right operation; x-acs-action is never required. Handlers decode the
// request into service parameters, call the Backend and encode a wire struct
// (snake_case exactly as ACK spells it) as JSON or XML. Errors are mapped to
// ACK's codes in one table (errors.go). Authentication is delegated to
// Config.Authenticate so that this package does not depend on how
// signatures are verified.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// Backend is what the handlers call: the operations of *service.Service
// (the signing-key lookups AccountForKey and Secret are left out because
// authentication reaches this package only through Config.Authenticate).
// Every method takes the calling account; errors are *upgrade.Error for
// anything the client caused and internal otherwise.
type Backend interface {
	CreateCluster(ctx context.Context, account string, p service.CreateClusterParams) (service.Created, error)
	DescribeCluster(ctx context.Context, account, clusterID string) (service.ClusterView, error)
	ListClusters(ctx context.Context, account string, p upgrade.ClusterListParams) ([]service.ClusterView, int, error)
	DeleteCluster(ctx context.Context, account, clusterID string) (service.Created, error)
	ListNodePools(ctx context.Context, account, clusterID, name string) ([]service.NodePoolView, error)
	ListNodes(ctx context.Context, account string, p upgrade.NodeListParams) ([]upgrade.Node, int, error)
	UpgradeCluster(ctx context.Context, account, clusterID string, p service.UpgradeParams) (string, error)
	UpgradeStatus(ctx context.Context, account, clusterID string) (upgrade.UpgradeStatus, error)
	PauseClusterUpgrade(ctx context.Context, account, clusterID string) error
	ResumeClusterUpgrade(ctx context.Context, account, clusterID string) error
	CancelClusterUpgrade(ctx context.Context, account, clusterID string) error
	DescribeTask(ctx context.Context, account, taskID string) (service.TaskView, error)
	ListTasks(ctx context.Context, account, clusterID string, offset, limit int) ([]upgrade.Task, int, error)
	PauseTask(ctx context.Context, account, taskID string) error
	ResumeTask(ctx context.Context, account, taskID string) error
	CancelTask(ctx context.Context, account, taskID string) error
	UpgradeNodePool(ctx context.Context, account, clusterID, poolID string, p service.NodePoolUpgradeParams) (string, error)
	RunCheck(ctx context.Context, account, clusterID string, p service.CheckParams) (string, error)
	GetCheck(ctx context.Context, account, clusterID, checkID string) (upgrade.Check, error)
	ListChecks(ctx context.Context, account, clusterID, typ, target string) ([]upgrade.Check, error)
	RegisterExternal(ctx context.Context, account string, p service.ExternalParams) (service.Created, error)
	UserKubeconfig(ctx context.Context, account, clusterID string, temporaryMinutes int) (service.Kubeconfig, error)
	ControlPlaneLog(ctx context.Context, account, clusterID string) (service.ControlPlaneLog, error)
	AuditProject(ctx context.Context, account, clusterID string) (service.AuditProject, error)
	ListClusterResources(ctx context.Context, account, clusterID string) ([]service.ClusterResource, error)
}

// The service is the Backend the server is wired with.
var _ Backend = (*service.Service)(nil)

// AuthRequest is what Config.Authenticate sees of a request: everything a
// signature covers, exactly as received. Header is the request's own map;
// treat it as read-only.
//
// The body is not read yet: Authenticate should check what the headers
// allow first and call ReadBody only for a request that passed, so that an
// unauthenticated client never makes the server buffer a body.
type AuthRequest struct {
	Method   string
	Host     string // r.Host as the client sent it, with :port if any
	RawPath  string // the escaped path as received
	RawQuery string // the query as received, without '?'
	Header   http.Header
	// ContentLength is the declared body length (-1: unknown, chunked).
	ContentLength int64
	// ReadBody reads the whole body (at most 1 MiB) and returns it, the same
	// bytes on every call. Its errors are client errors (too large, cut by
	// the read deadline, too many bodies being read at once) to be returned
	// from Authenticate unchanged.
	ReadBody func() ([]byte, error)
}

// AuthError is an authentication failure, rendered in the API gateway's
// capitalised shape {"Code","Message","RequestId","HostId","Recommend"}
// with the HTTP status of its code (InvalidAccessKeyId.NotFound 404,
// Forbidden.RAM 403, everything else 400). The wiring in cmd/ackup converts
// a *sign.Error into an AuthError; an AuthError anywhere in the error's
// chain is rendered so.
type AuthError struct {
	Code    string // e.g. "SignatureDoesNotMatch", "Throttling.User"
	Message string // for the client; never a secret
	// RetryAfter, when positive, is sent as x-acs-retry-after in
	// milliseconds (for Throttling.User).
	RetryAfter time.Duration
}

// Error implements error.
func (e *AuthError) Error() string { return e.Code + ": " + e.Message }

// Config configures the handler New returns.
type Config struct {
	// Backend carries out the operations. Required.
	Backend Backend
	// Authenticate verifies a request's signature and returns the calling
	// account. It runs on every API route (not on /healthz, /readyz or the
	// operations description). An *AuthError is sent as a gateway error; an
	// *upgrade.Error as a service error; anything else as InternalError.
	// Required.
	Authenticate func(ctx context.Context, r *AuthRequest) (accountID string, err error)
	// Logger receives one line per request and the details of internal
	// errors and panics. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock used for request durations. Default: time.Now.
	Now func() time.Time
	// Ready reports whether the server can serve (GET /readyz). Default:
	// always ready.
	Ready func(ctx context.Context) error
	// NewRequestID returns the id sent as x-acs-request-id and in bodies.
	// Default: a random id in upgrade.NewRequestID's form, made without a
	// system call.
	NewRequestID func() string
	// Observe, when set, is told of every API request once it is answered:
	// the operation's name, the ACK error code ("" on success), the HTTP
	// status and how long it took. Requests that match no operation
	// (/healthz, /metrics, unknown routes) are not observed. It runs on
	// every request, so it must be cheap.
	Observe func(op, code string, status int, d time.Duration)
	// AuthFailed, when set, is told the gateway code (the reason) of every
	// request that Authenticate refused with an *AuthError.
	AuthFailed func(reason string)
	// Metrics, when set, is served without authentication at GET /metrics.
	Metrics http.Handler
	// AuthBodyReads bounds the bodies read at once while Authenticate runs
	// (AuthRequest.ReadBody); a request over it is answered 503
	// ServiceUnavailable. Default DefaultAuthBodyReads; negative: no bound.
	AuthBodyReads int
}

// DefaultAuthBodyReads is Config.AuthBodyReads' default: 128 bodies, at
// most 128 MiB should every one of them reach the 1 MiB limit.
const DefaultAuthBodyReads = 128

// maxBodyBytes is the largest request body accepted (docs/decisions.md,
// Requests).
const maxBodyBytes = 1 << 20

// server holds the validated configuration shared by all handlers.
type server struct {
	backend Backend
	auth    func(ctx context.Context, r *AuthRequest) (string, error)
	log     *slog.Logger
	now     func() time.Time
	ready   func(ctx context.Context) error
	newID   func() string
	observe func(op, code string, status int, d time.Duration)
	authErr func(reason string)
	metrics http.Handler
	// authBodies holds a token per body being read for Authenticate; nil:
	// no bound.
	authBodies chan struct{}
	mux        *http.ServeMux
	// opsJSON is the route table as served at /api/ackup/operations.
	opsJSON []byte
}

// New validates cfg and returns the API's http.Handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Backend == nil {
		return nil, errors.New("api: Config.Backend is required")
	}
	if cfg.Authenticate == nil {
		return nil, errors.New("api: Config.Authenticate is required")
	}
	s := &server{
		backend: cfg.Backend,
		auth:    cfg.Authenticate,
		log:     cfg.Logger,
		now:     cfg.Now,
		ready:   cfg.Ready,
		newID:   cfg.NewRequestID,
		observe: cfg.Observe,
		authErr: cfg.AuthFailed,
		metrics: cfg.Metrics,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = newRequestID
	}
	switch n := cfg.AuthBodyReads; {
	case n == 0:
		s.authBodies = make(chan struct{}, DefaultAuthBodyReads)
	case n > 0:
		s.authBodies = make(chan struct{}, n)
	}
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s.withRequestState(s.withRecover(s.withAccessLog(http.HandlerFunc(s.dispatch)))), nil
}

// routes registers every operation of the table, the unauthenticated
// ackup endpoints, and a catch-all that answers 404/405 in JSON.
func (s *server) routes() error {
	handlers := s.handlers()
	ops := Operations()
	s.mux = http.NewServeMux()
	for i := range ops {
		op := &ops[i]
		h, ok := handlers[op.Name]
		if !ok {
			return fmt.Errorf("api: operation %s has no handler", op.Name)
		}
		s.mux.Handle(op.Method+" "+op.Path, s.apiRoute(op, h))
	}
	if len(handlers) != len(ops) {
		return fmt.Errorf("api: %d handlers for %d operations", len(handlers), len(ops))
	}
	var err error
	if s.opsJSON, err = encodeJSON(ops); err != nil {
		return fmt.Errorf("api: encode route table: %w", err)
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /api/ackup/operations", s.operations)
	if s.metrics != nil {
		s.mux.Handle("GET /metrics", s.metrics)
	}
	s.mux.HandleFunc("/", s.unknownRoute)
	return nil
}

// handlers maps each operation name of the table to its handler.
func (s *server) handlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"DescribeKubernetesVersionMetadata": s.describeKubernetesVersionMetadata,
		"CreateCluster":                     s.createCluster,
		"DescribeClusterDetail":             s.describeClusterDetail,
		"DescribeClustersV1":                s.describeClustersV1,
		"DeleteCluster":                     s.deleteCluster,
		"DescribeClusterNodePools":          s.describeClusterNodePools,
		"DescribeClusterNodes":              s.describeClusterNodes,
		"GetUpgradeStatus":                  s.getUpgradeStatus,
		"UpgradeCluster":                    s.upgradeCluster,
		"PauseClusterUpgrade":               s.pauseClusterUpgrade,
		"ResumeUpgradeCluster":              s.resumeUpgradeCluster,
		"CancelClusterUpgrade":              s.cancelClusterUpgrade,
		"DescribeClusterTasks":              s.describeClusterTasks,
		"DescribeTaskInfo":                  s.describeTaskInfo,
		"PauseTask":                         s.pauseTask,
		"ResumeTask":                        s.resumeTask,
		"CancelTask":                        s.cancelTask,
		"UpgradeClusterNodepool":            s.upgradeClusterNodepool,
		"RunClusterCheck":                   s.runClusterCheck,
		"GetClusterCheck":                   s.getClusterCheck,
		"ListClusterChecks":                 s.listClusterChecks,
		"RegisterCluster":                   s.registerCluster,
		"DescribeClusterUserKubeconfig":     s.describeClusterUserKubeconfig,
		"CheckControlPlaneLogEnable":        s.checkControlPlaneLogEnable,
		"GetClusterAuditProject":            s.getClusterAuditProject,
		"DescribeClusterResources":          s.describeClusterResources,
	}
}

// RequestID returns the id of the request ctx belongs to ("" outside a
// request served by this package), for correlating logs.
func RequestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.requestID
	}
	return ""
}

// Account returns the authenticated account of the request ctx belongs to
// ("" before authentication or outside a request).
func Account(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.account
	}
	return ""
}
