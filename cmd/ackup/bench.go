package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/bench"
)

// runBench is `ackup bench`: the load generator, `ackup bench fleet`, and
// `ackup bench bare`, the bare handler in a process of its own.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "fleet":
			return runBenchFleet(ctx, args[1:], stdout, stderr)
		case "bare":
			return runBenchBare(ctx, args[1:], stdout, stderr)
		}
	}
	return runBenchLoad(ctx, args, stdout, stderr)
}

const benchUsage = `usage: ackup bench [flags]          measure GetUpgradeStatus against ackup and the bare handler
       ackup bench fleet [flags]    run N simulated upgrades at once and measure the engine and the API
       ackup bench bare [flags]     serve the bare handler (what 'ackup bench' starts for a remote endpoint)

Without --endpoint, ackup bench starts a server in this process (temporary
database unless --db) and creates the clusters it reads. With --endpoint it
reads a running server, signing with ALIBABA_CLOUD_ACCESS_KEY_ID and
ALIBABA_CLOUD_ACCESS_KEY_SECRET (or --profile), and runs the bare handler as
a separate process too, so that both sides of the ratio have the same shape.

Flags of ackup bench:
`

func runBenchLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ackup bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	endpoint := fs.String("endpoint", "", "host:port of a running ackup (default: start one in this process)")
	profile := fs.String("profile", "", "aliyun CLI profile to sign with, for --endpoint")
	concurrency := fs.Int("concurrency", 64, "keep-alive connections, one request in flight on each")
	duration := fs.Duration("duration", 10*time.Second, "how long each measured load runs (all loads of a run, bare ones included, at most 10m together)")
	warmup := fs.Duration("warmup", 2*time.Second, "warm-up before each measured load")
	clusters := fs.Int("clusters", 16, "clusters to create and read, each upgraded once so that the status renders a task")
	nodes := fs.Int("nodes", 3, "nodes per created cluster")
	clusterIDs := fs.String("cluster-ids", "", `comma-separated existing clusters to read instead of creating any ("all": every cluster of the --db)`)
	bare := fs.Bool("bare", true, "measure the bare handler too, in the same run")
	rounds := fs.Int("rounds", 1, "rounds of bare then ackup loads; the median round is the headline")
	output := fs.String("output", "table", "output: table or json")
	alg := fs.String("signature-algorithm", "", `SDK signature algorithm: "" (ACS3-HMAC-SHA256), ACS3-HMAC-SM3, or v2`)
	db := fs.String("db", "", "database of the in-process server (default: a temporary file)")
	simSpeed := fs.Float64("sim-speed", 10000, "simulation speed of the in-process server")
	pprofAddr := fs.String("pprof-addr", "", "serve Go profiles of this process at this admin address")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *output != "table" && *output != "json" {
		fmt.Fprintln(stderr, "ackup bench: --output must be table or json")
		return 2
	}
	progress := func(msg string) { fmt.Fprintln(stderr, "ackup bench:", msg) }
	stopProf, err := startBenchProfiler(*pprofAddr, progress)
	if err != nil {
		fmt.Fprintln(stderr, "ackup bench:", err)
		return 1
	}
	defer stopProf()

	cfg := bench.Config{Concurrency: *concurrency, Duration: *duration, Warmup: *warmup, Bare: *bare, Rounds: *rounds, Progress: progress}
	cfg.Credentials.SignatureAlgorithm = *alg
	var local *bench.LocalServer
	if *endpoint == "" {
		srv, err := bench.StartServer(ctx, *db, *simSpeed, slog.New(slog.DiscardHandler))
		if err != nil {
			fmt.Fprintln(stderr, "ackup bench:", err)
			return 1
		}
		defer srv.Close()
		local = srv
		cfg.Endpoint = srv.Addr()
		cfg.Credentials.AccessKeyID, cfg.Credentials.AccessKeySecret = srv.Credentials.AccessKeyID, srv.Credentials.AccessKeySecret
		progress("started ackup in this process at " + cfg.Endpoint)
	} else {
		creds, err := resolveCredentials(*profile, "", os.Getenv)
		if err != nil {
			fmt.Fprintln(stderr, "ackup bench:", err)
			return 1
		}
		cfg.Endpoint = *endpoint
		cfg.Credentials.AccessKeyID, cfg.Credentials.AccessKeySecret = creds.keyID, creds.secret
		cfg.StartBare = bareProcess
	}
	if *clusterIDs == "all" && local != nil {
		if cfg.ClusterIDs, err = local.ClusterIDs(ctx); err != nil {
			fmt.Fprintln(stderr, "ackup bench:", err)
			return 1
		}
		progress(fmt.Sprintf("reading all %d clusters of the database", len(cfg.ClusterIDs)))
	} else if *clusterIDs != "" {
		cfg.ClusterIDs = strings.Split(*clusterIDs, ",")
	} else if cfg.ClusterIDs, err = benchClusters(ctx, cfg, *clusters, *nodes, progress); err != nil {
		fmt.Fprintln(stderr, "ackup bench:", err)
		return 1
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "ackup bench:", err)
		return 1
	}
	if *output == "json" {
		return writeJSON(stdout, stderr, res)
	}
	if err := res.WriteTable(stdout); err != nil {
		return 1
	}
	return 0
}

// benchClusters creates the clusters to read and upgrades each once, so
// that GetUpgradeStatus renders a task as it does for the clients that poll
// it.
func benchClusters(ctx context.Context, cfg bench.Config, n, nodes int, progress func(string)) ([]string, error) {
	s := bench.Setup{Endpoint: cfg.Endpoint, Credentials: cfg.Credentials, Clusters: n, Nodes: nodes, Progress: progress}
	progress(fmt.Sprintf("creating %d clusters of %d nodes", n, nodes))
	ids, err := bench.CreateClusters(ctx, s)
	if err != nil {
		return nil, err
	}
	progress("waiting until they run (at the server's simulation speed)")
	if err := bench.WaitRunning(ctx, s, ids); err != nil {
		return nil, err
	}
	progress("starting an upgrade of each")
	return ids, bench.StartUpgrades(ctx, s, ids)
}

// bareProcess starts `ackup bench bare` as a child process answering resp
// and returns its address.
func bareProcess(ctx context.Context, resp bench.Response) (string, func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	in, err := json.Marshal(resp)
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "bench", "bare", "--addr", "127.0.0.1:0")
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start the bare handler: %w", err)
	}
	stop := func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		return cmd.Wait()
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", nil, fmt.Errorf("the bare handler did not start: %w", err)
	}
	return strings.TrimSpace(addr), stop, nil
}

// runBenchBare serves the bare handler answering the response read as JSON
// from stdin, prints its address and serves until interrupted.
func runBenchBare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ackup bench bare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to serve the bare handler on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var resp bench.Response
	if err := json.NewDecoder(os.Stdin).Decode(&resp); err != nil {
		fmt.Fprintln(stderr, "ackup bench bare: read the response to serve (JSON on stdin):", err)
		return 2
	}
	b, err := bench.ServeBare(*addr, bench.BareHandler(resp))
	if err != nil {
		fmt.Fprintln(stderr, "ackup bench bare:", err)
		return 1
	}
	fmt.Fprintln(stdout, b.Addr())
	<-ctx.Done()
	if err := b.Close(); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ackup bench bare:", err)
	}
	return 0
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "ackup bench:", err)
		return 1
	}
	return 0
}
