// Package server assembles a running ackup: the store chosen by the
// database setting, the server key, the service, the engine, signature
// verification and the HTTP API. cmd/ackup and the end-to-end tests start
// servers through it, so both run exactly the same thing.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/api"
	"github.com/ackup/ackup/internal/console"
	"github.com/ackup/ackup/internal/engine"
	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube"
	"github.com/ackup/ackup/internal/executor/sim"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/metrics"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/sign"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/postgres"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

// Config configures a server. Zero values take the documented defaults.
type Config struct {
	// Addr is the API's listen address (default 127.0.0.1:8080; port 0
	// picks a free port).
	Addr string
	// DB is a SQLite file path (default ackup.db) or a postgres:// URL.
	DB string
	// KeyFile holds the server key that seals secrets (default: the SQLite
	// file's path plus ".key", or ackup.key in the working directory for
	// PostgreSQL; every replica must share it). A missing file is
	// generated only for a database that holds no secret yet.
	KeyFile string
	// Key, when set, is the server key itself (cmd/ackup reads it from
	// ACKUP_SERVER_KEY) and KeyFile is not read.
	Key []byte
	// SimSpeed is simulated seconds per real second (default 1).
	SimSpeed float64
	// AccessKeyID and AccessKeySecret, when both set, are registered as an
	// active key of the default account at start.
	AccessKeyID     string
	AccessKeySecret string
	// Out receives the one-time notice of a generated key pair (default
	// io.Discard).
	Out io.Writer
	// Logger is the server's logger (default slog.Default()).
	Logger *slog.Logger
	// Lease is the engine's task lease (default 15s; negative is invalid).
	Lease time.Duration
	// EngineOwner names this replica in leases (default host-pid-random).
	EngineOwner string
	// RateLimit is the requests per second allowed to each AccessKey before
	// Throttling.User (0: no limit; negative is invalid).
	RateLimit float64

	// Limits on what a client can make the server hold (docs/security.md).
	// ReadHeaderTimeout bounds reading a request's headers (default 10s).
	ReadHeaderTimeout time.Duration
	// BodyReadTimeout bounds reading a request's body, from the end of its
	// headers (default 30s: 1 MiB at 35 KB/s); negative: no bound.
	BodyReadTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block (default 64 KiB).
	MaxHeaderBytes int
	// AuthBodyReads bounds the bodies read at once for requests not yet
	// authenticated (default api.DefaultAuthBodyReads); over it: 503
	// ServiceUnavailable.
	AuthBodyReads int
	// MaxNonces caps the signature nonces held in memory on SQLite
	// (default sign.DefaultMaxNonces); past it new requests are refused
	// with Throttling until older nonces expire. PostgreSQL keeps nonces in
	// the database only and has no such cap.
	MaxNonces int
	// RequireContentMD5 refuses legacy-signed (ROA) writes that carry a
	// body without Content-MD5 (IncompleteSignature), since the legacy
	// signature covers the body only through it.
	RequireContentMD5 bool
	// TLSAddr, when set, is a second listen address serving the same
	// handler over HTTPS (HTTP/1.1 and HTTP/2, TLS 1.2 or newer); port 0
	// picks a free port.
	TLSAddr string
	// TLSCertFile and TLSKeyFile are a PEM certificate and key to serve on
	// TLSAddr. Both or neither; they are read once at Open (replace them
	// and restart to rotate). Without them a local CA and a certificate it
	// signs are kept beside KeyFile (see internal/tlsca) and the CA's path
	// is printed to Out when it is first made.
	TLSCertFile string
	TLSKeyFile  string
	// TLSSANs are names the generated certificate carries beyond
	// 127.0.0.1, ::1 and localhost (IP addresses become IP SANs). Not
	// allowed with TLSCertFile.
	TLSSANs []string

	// Actions are the named upgrade actions that registered clusters may
	// run, by name (default none: clusters can only wait).
	Actions kubecfg.Actions
	// AllowKubeconfigExec lets registered clusters' kubeconfigs carry exec
	// credential plugins and auth-providers, which run on this host, and
	// name files on it (default false: refused).
	AllowKubeconfigExec bool
	// MaxClustersPerAccount is how many live clusters one account may have
	// before QuotaExceeded.Cluster (default service.DefaultMaxClusters).
	MaxClustersPerAccount int
}

// Validate reports the first setting of c that Open would refuse. Zero
// values are valid: they take the defaults. cmd/ackup calls it on the
// flags it read, so the command and the server agree on what is valid.
func (c Config) Validate() error {
	switch {
	case c.SimSpeed < 0 || math.IsNaN(c.SimSpeed) || math.IsInf(c.SimSpeed, 0):
		return fmt.Errorf("sim speed %v: want a positive number of simulated seconds per real second", c.SimSpeed)
	case c.Lease < 0:
		return fmt.Errorf("lease %s: want a positive duration", c.Lease)
	case c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0):
		return fmt.Errorf("rate limit %v: want a positive number of requests per second, or 0 for no limit", c.RateLimit)
	}
	return nil
}

// Server is an assembled ackup.
type Server struct {
	cfg     Config
	Store   store.Store
	Service *service.Service
	Engine  *engine.Engine
	Handler http.Handler
	// Metrics is the server's instrumentation, served at /metrics.
	Metrics *metrics.Metrics
	sim     *sim.Executor
	kube    *kube.Cache // the executors of registered clusters
	// nonces is the replay cache on SQLite, flushed at Shutdown; nil on
	// PostgreSQL, where every nonce is written through.
	nonces  *sign.PersistentNonces
	notify  *notifier  // wake-ups between replicas; nil unless the store is a store.Notifier
	ready   *readiness // answers /readyz
	http    *http.Server
	ln      net.Listener
	tls     *tls.Config  // nil unless TLSAddr is set
	caFile  string       // the generated CA's path, "" with TLSCertFile
	https   *http.Server // nil unless TLSAddr is set
	tlsLn   net.Listener
	stop    context.CancelFunc
	serveCh chan error
}

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DB == "" {
		c.DB = "ackup.db"
	}
	if c.KeyFile == "" {
		if isPostgres(c.DB) {
			c.KeyFile = "ackup.key"
		} else {
			c.KeyFile = c.DB + ".key"
		}
	}
	if c.SimSpeed == 0 {
		c.SimSpeed = 1
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.BodyReadTimeout == 0 {
		c.BodyReadTimeout = 30 * time.Second
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open assembles a server: opens and migrates the store, loads or creates
// the server key, registers the configured AccessKey (or creates one on the
// first start), and builds the engine and HTTP handler. Nothing listens yet.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("server configuration: %w", err)
	}
	cfg.defaults()
	s := &Server{cfg: cfg, sim: &sim.Executor{Speed: cfg.SimSpeed}}
	// Nonces are kept 2 x the verifier's window (docs/decisions.md, Requests) in
	// the store, so that they survive a restart: on PostgreSQL every one is
	// written through (replicas share them); on SQLite memory answers and
	// the store is written behind for reads, through for writes.
	var nonces sign.Nonces
	if isPostgres(cfg.DB) {
		pg, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, err
		}
		s.Store, nonces = pg, sign.StoreNonces{Store: pg}
	} else {
		lite, err := sqlite.Open(ctx, cfg.DB)
		if err != nil {
			return nil, err
		}
		s.Store = lite
		s.nonces, err = sign.OpenPersistentNonces(ctx, lite, sign.PersistentNoncesConfig{Max: cfg.MaxNonces, Logger: cfg.Logger})
		if err != nil {
			lite.Close()
			return nil, err
		}
		nonces = s.nonces
	}
	ok := false
	defer func() {
		if !ok {
			if s.nonces != nil {
				s.nonces.Close(ctx)
			}
			s.Store.Close()
		}
	}()
	if err := s.loadTLS(); err != nil {
		return nil, err
	}
	box, err := loadServerKey(ctx, s.Store, cfg, true)
	if err != nil {
		return nil, err
	}
	kubeOpts := kube.Options{AllowKubeconfigExec: cfg.AllowKubeconfigExec, Actions: cfg.Actions, Logger: cfg.Logger}
	s.kube = kube.NewCache(box.Open, kubeOpts)
	s.Metrics = s.newMetrics()
	counted := s.Metrics.Store(s.Store)
	s.Engine, err = engine.New(engine.Config{Store: counted, Executor: s.executor, Owner: cfg.EngineOwner, Lease: cfg.Lease, Logger: cfg.Logger,
		Observe: s.Metrics.ObservePass})
	if err != nil {
		return nil, err
	}
	wake := s.Engine.Wake
	if n, ok := s.Store.(store.Notifier); ok {
		s.notify = newNotifier(n, s.Engine.Wake, cfg.Logger)
		wake = s.notify.Wake
	}
	s.Service, err = service.New(service.Config{Store: counted, Box: box, Executor: s.executor, Wake: wake,
		Snapshot: kubeOpts.Snapshot, Live: s.kubeLive, Logger: cfg.Logger,
		MaxClustersPerAccount: cfg.MaxClustersPerAccount})
	if err != nil {
		return nil, err
	}
	if err := s.registerKey(ctx); err != nil {
		return nil, err
	}
	s.ready = &readiness{st: s.Store, owner: s.Engine.Owner(), now: time.Now}
	verifier := &sign.Verifier{Keys: keys{s.Service}, Nonces: nonces, RequireContentMD5: cfg.RequireContentMD5}
	apiHandler, err := api.New(api.Config{
		Backend:       s.Service,
		Authenticate:  authenticate(verifier, s.Service, newKeyLimiter(cfg.RateLimit)),
		Logger:        cfg.Logger,
		Ready:         s.ready.check,
		Observe:       s.Metrics.ObserveRequest,
		AuthFailed:    s.Metrics.AuthFailed,
		Metrics:       s.Metrics.Handler(),
		AuthBodyReads: cfg.AuthBodyReads,
	})
	if err != nil {
		return nil, err
	}
	// The console is mounted by prefix rather than through a ServeMux, so
	// the API keeps its own answers (JSON, never a redirect) for every
	// other path.
	consoleHandler := console.Handler()
	s.Handler = api.WithBodyDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, console.Prefix) {
			consoleHandler.ServeHTTP(w, r)
			return
		}
		apiHandler.ServeHTTP(w, r)
	}), cfg.BodyReadTimeout)
	ok = true
	return s, nil
}

// executor picks the executor that carries out a cluster's work.
func (s *Server) executor(c upgrade.Cluster) (executor.Executor, error) {
	switch c.Executor {
	case upgrade.ExecutorSim, "":
		return s.sim, nil
	case upgrade.ExecutorKube:
		return s.kubeExecutor(c)
	}
	return nil, fmt.Errorf("cluster %s uses executor %q, which this server does not run", c.ID, c.Executor)
}

// registerKey registers the configured AccessKey, or creates and prints one
// when the store has none.
func (s *Server) registerKey(ctx context.Context) error {
	if s.cfg.AccessKeyID != "" && s.cfg.AccessKeySecret != "" {
		return s.Service.KeyRegister(ctx, service.DefaultAccount, s.cfg.AccessKeyID, s.cfg.AccessKeySecret)
	}
	n, err := s.Service.KeyCount(ctx)
	if err != nil || n > 0 {
		return err
	}
	id, sec, err := s.Service.KeyCreate(ctx, service.DefaultAccount)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.cfg.Out, "Created an AccessKey pair for the default account (shown only this once):\n  ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n  ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n", id, sec)
	return nil
}

// Start listens on the configured address (and TLSAddr, if set), serves
// the API and runs the engine until Shutdown.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	if s.tls != nil {
		if s.tlsLn, err = net.Listen("tcp", s.cfg.TLSAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s: %w", s.cfg.TLSAddr, err)
		}
	}
	ectx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.Engine.Start(ectx)
	if s.notify != nil {
		s.notify.start(ectx)
	}
	s.http = s.newHTTPServer()
	s.serveCh = make(chan error, 2)
	go func() { s.serveCh <- s.http.Serve(ln) }()
	if s.tlsLn != nil {
		s.https = s.newHTTPServer()
		s.https.TLSConfig = s.tls
		// ServeTLS adds "h2" to the offered protocols: HTTP/2 by ALPN.
		go func() { s.serveCh <- s.https.ServeTLS(s.tlsLn, "", "") }()
	}
	return nil
}

// newHTTPServer is the one http.Server configuration, shared by the plain
// and the TLS listener. No ReadTimeout or WriteTimeout: bodies have their
// own deadline (api.WithBodyDeadline), and responses that take long are
// not cut.
func (s *Server) newHTTPServer() *http.Server {
	return &http.Server{Handler: s.Handler, ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: s.cfg.MaxHeaderBytes, ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn)}
}

// Addr returns the address the API listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// TLSAddr returns the address the HTTPS listener listens on, or "" when
// there is none.
func (s *Server) TLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// CAFile returns the path of the generated CA certificate that clients
// trust (SSL_CERT_FILE), or "" without a TLS listener or when the
// certificate came from TLSCertFile.
func (s *Server) CAFile() string { return s.caFile }

// Done returns a channel that receives the HTTP server's exit error.
func (s *Server) Done() <-chan error { return s.serveCh }

// Shutdown stops accepting requests, waits for those in flight, stops the
// engine and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(ctx))
	}
	if s.https != nil {
		errs = append(errs, s.https.Shutdown(ctx))
	}
	if s.stop != nil {
		s.Engine.Stop()
	}
	if s.notify != nil {
		s.notify.stop()
	}
	s.kube.Close()
	if s.nonces != nil {
		errs = append(errs, s.nonces.Close(ctx))
	}
	errs = append(errs, s.Store.Close())
	return errors.Join(errs...)
}

// keys adapts the service's key lookup to the verifier's contract.
type keys struct{ svc *service.Service }

func (k keys) Secret(ctx context.Context, id string) (string, bool, error) {
	sec, active, err := k.svc.Secret(ctx, id)
	if errors.Is(err, service.ErrKeyNotFound) {
		return "", false, sign.ErrKeyNotFound
	}
	return sec, active, err
}

// authenticate verifies a request's signature and resolves its account.
func authenticate(v *sign.Verifier, svc *service.Service, limit *keyLimiter) func(context.Context, *api.AuthRequest) (string, error) {
	return func(ctx context.Context, r *api.AuthRequest) (string, error) {
		id, err := v.Verify(ctx, &sign.Request{Method: r.Method, Host: r.Host, RawPath: r.RawPath, RawQuery: r.RawQuery, Header: r.Header,
			ReadBody: r.ReadBody, ContentLength: r.ContentLength})
		var se *sign.Error
		if errors.As(err, &se) {
			return "", &api.AuthError{Code: string(se.Code), Message: se.Message}
		}
		if err != nil {
			return "", err
		}
		if err := limit.allow(id, time.Now()); err != nil {
			return "", err
		}
		return svc.AccountForKey(ctx, id)
	}
}
