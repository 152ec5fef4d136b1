package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ackup/ackup/internal/bench"
	"github.com/ackup/ackup/internal/server"
)

// runBenchFleet is `ackup bench fleet`. It starts its own server in this
// process, so that peak memory is measurable and nothing else shares it.
func runBenchFleet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ackup bench fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: ackup bench fleet --clusters N --nodes M --sim-speed S [flags]

Starts ackup in this process, creates N simulated clusters of M nodes,
starts all their upgrades at once, and reports how long the fleet took
against its ideal simulated time, the engine's pass rate, peak memory, and
GetUpgradeStatus throughput and latency measured in windows while it runs,
against the bare handler measured afterwards.

Flags:
`)
		fs.PrintDefaults()
	}
	clusters := fs.Int("clusters", 500, "clusters in the fleet")
	nodes := fs.Int("nodes", 5, "nodes per cluster")
	simSpeed := fs.Float64("sim-speed", 10, "simulated seconds per real second")
	db := fs.String("db", "", "database file (default: a temporary file)")
	concurrency := fs.Int("concurrency", 64, "connections of the GetUpgradeStatus load")
	windows := fs.Int("windows", 3, "GetUpgradeStatus loads while the fleet runs")
	window := fs.Duration("window", 10*time.Second, "length of each load")
	setup := fs.Int("setup-concurrency", 32, "SDK calls in flight while creating clusters and starting upgrades")
	output := fs.String("output", "table", "output: table or json")
	alg := fs.String("signature-algorithm", "", `SDK signature algorithm of the load: "" (ACS3-HMAC-SHA256), ACS3-HMAC-SM3, or v2`)
	pprofAddr := fs.String("pprof-addr", "", "serve Go profiles of this process (server included) at this admin address")
	verbose := fs.Bool("v", false, "log the server's warnings and errors to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *output != "table" && *output != "json" {
		fmt.Fprintln(stderr, "ackup bench fleet: --output must be table or json")
		return 2
	}
	progress := func(msg string) {
		fmt.Fprintf(stderr, "ackup bench fleet: %s %s\n", time.Now().Format("15:04:05"), msg)
	}
	stopProf, err := startBenchProfiler(*pprofAddr, progress)
	if err != nil {
		fmt.Fprintln(stderr, "ackup bench fleet:", err)
		return 1
	}
	defer stopProf()
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	res, err := bench.RunFleet(ctx, bench.FleetConfig{Clusters: *clusters, Nodes: *nodes, SimSpeed: *simSpeed, DB: *db,
		Concurrency: *concurrency, Windows: *windows, Window: *window, SetupConcurrency: *setup,
		SignatureAlgorithm: *alg, Logger: logger, Progress: progress})
	if err != nil {
		fmt.Fprintln(stderr, "ackup bench fleet:", err)
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

// startBenchProfiler serves this process's Go profiles at addr ("" for
// none) and returns how to stop.
func startBenchProfiler(addr string, progress func(string)) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	p, err := server.StartProfiler(addr, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	progress("serving profiles at http://" + p.Addr() + "/debug/pprof/")
	return func() { _ = p.Close() }, nil
}
