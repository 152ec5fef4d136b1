package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/server"
	"github.com/ackup/ackup/internal/service"
)

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ackup server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address the API listens on")
	db := fs.String("db", "ackup.db", "SQLite database file, or a postgres:// URL")
	keyFile := fs.String("key-file", "", "server key file that seals secrets (default: <db>.key for SQLite, ackup.key for PostgreSQL; or set "+server.KeyEnv+")")
	simSpeed := fs.Float64("sim-speed", 1, "simulated seconds per real second for simulated clusters")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	lease := fs.Duration("lease", 15*time.Second, "how long a replica holds a task between passes before another may take it over")
	engineOwner := fs.String("engine-owner", "", "name of this replica in task leases, unique among running replicas (default host-pid-random)")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second allowed to each AccessKey before Throttling.User (0: no limit)")
	requireMD5 := fs.Bool("require-content-md5", false, "refuse legacy-signed (ROA) writes that carry a body without Content-MD5 (IncompleteSignature)")
	maxNonces := fs.Int("max-nonces", 4_000_000, "signature nonces held in memory on SQLite; past it new requests get Throttling until old ones expire")
	bodyTimeout := fs.Duration("body-read-timeout", 30*time.Second, "how long a client has to send a request body")
	maxClusters := fs.Int("max-clusters-per-account", service.DefaultMaxClusters, "live clusters one account may have before CreateCluster answers QuotaExceeded.Cluster")
	pprofAddr := fs.String("pprof-addr", "", "admin address serving Go profiles at /debug/pprof/, never on the API address (default: off)")
	tlsAddr := fs.String("tls-addr", "", "address of a second listener serving the same API over HTTPS (default: off)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate for --tls-addr, with --tls-key (default: one signed by a local CA kept beside the key file)")
	tlsKey := fs.String("tls-key", "", "PEM private key for --tls-cert")
	var tlsSANs sanList
	fs.Var(&tlsSANs, "tls-san", "extra name or IP address of the generated certificate (repeatable or comma-separated)")
	actionsFile := fs.String("actions-file", "", "YAML or JSON file of the named upgrade actions registered clusters may run (default: none, clusters can only wait)")
	allowKubeconfigExec := fs.Bool("allow-kubeconfig-exec", false, "let registered kubeconfigs carry exec plugins and auth-providers, which run on this host, and name its files")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *maxClusters < 1 {
		fmt.Fprintln(stderr, "ackup server: --max-clusters-per-account must be at least 1")
		return 2
	}
	if *simSpeed <= 0 {
		fmt.Fprintln(stderr, "ackup server: --sim-speed must be positive")
		return 2
	}
	actions, err := kubecfg.ReadActionsFile(*actionsFile)
	if err != nil {
		fmt.Fprintf(stderr, "ackup server: --actions-file: %v\n", err)
		return 2
	}
	var h slog.Handler
	switch *logFormat {
	case "text":
		h = slog.NewTextHandler(stderr, nil)
	case "json":
		h = slog.NewJSONHandler(stderr, nil)
	default:
		fmt.Fprintln(stderr, "ackup server: --log-format must be text or json")
		return 2
	}
	logger := slog.New(h)
	key, err := serverKeyFromEnv(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "ackup server: %v\n", err)
		return 2
	}
	cfg := server.Config{
		Addr: *addr, DB: *db, KeyFile: *keyFile, Key: key, SimSpeed: *simSpeed, Lease: *lease, RateLimit: *rateLimit, MaxClustersPerAccount: *maxClusters, EngineOwner: *engineOwner,
		TLSAddr: *tlsAddr, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey, TLSSANs: tlsSANs,
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		Out:             stdout, Logger: logger,
		RequireContentMD5: *requireMD5, MaxNonces: *maxNonces, BodyReadTimeout: *bodyTimeout,
		Actions: actions, AllowKubeconfigExec: *allowKubeconfigExec,
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "ackup server: %v\n", err)
		return 2
	}
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "ackup server: %v\n", err)
		return 1
	}
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "ackup server: %v\n", err)
		_ = srv.Shutdown(context.Background())
		return 1
	}
	if *pprofAddr != "" {
		prof, err := server.StartProfiler(*pprofAddr, logger)
		if err != nil {
			fmt.Fprintf(stderr, "ackup server: %v\n", err)
			_ = srv.Shutdown(context.Background())
			return 1
		}
		defer prof.Close()
		logger.Info("serving profiles", "addr", prof.Addr())
	}
	logger.Info("ackup serving", "addr", srv.Addr(), "db", server.RedactDB(*db), "sim_speed", *simSpeed, "actions", actions.Names())
	if srv.TLSAddr() != "" {
		logger.Info("ackup serving HTTPS", "addr", srv.TLSAddr(), "ca", srv.CAFile())
	}
	if *allowKubeconfigExec {
		logger.Warn("registered kubeconfigs may run programs on this host (--allow-kubeconfig-exec)")
	}
	code := 0
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-srv.Done():
		logger.Error("server stopped", "err", err)
		code = 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		code = 1
	}
	return code
}

// sanList collects --tls-san values, repeated or comma-separated.
type sanList []string

func (l *sanList) String() string { return strings.Join(*l, ",") }

func (l *sanList) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}
