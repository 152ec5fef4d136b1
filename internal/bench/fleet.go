package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/metrics"
	"time"

	"github.com/ackup/ackup/internal/executor/sim"
	ackmetrics "github.com/ackup/ackup/internal/metrics"
	"github.com/ackup/ackup/internal/upgrade"
)

// FleetConfig configures RunFleet. Zero values take the documented
// defaults.
type FleetConfig struct {
	// Clusters and Nodes: the fleet is Clusters simulated clusters of one
	// node pool of Nodes nodes each (defaults 500 and 5).
	Clusters, Nodes int
	// SimSpeed is simulated seconds per real second (default 10).
	SimSpeed float64
	// DB is the server's database ("" for a temporary file).
	DB string
	// Concurrency is the number of connections of the GetUpgradeStatus
	// load (default 64).
	Concurrency int
	// Windows is how many GetUpgradeStatus loads run while the fleet does,
	// spread over its ideal time (0: none, to see the engine alone), and
	// Window how long each lasts (default 10s).
	Windows int
	Window  time.Duration
	// SetupConcurrency is how many SDK calls create clusters and start
	// upgrades at once (default 32).
	SetupConcurrency int
	// SignatureAlgorithm is the SDK's setting for the load (see
	// Credentials).
	SignatureAlgorithm string
	// Logger is the server's logger (default: warnings and errors only, to
	// nowhere).
	Logger *slog.Logger
	// Progress, when set, is told what the run is doing.
	Progress func(msg string)
}

// FleetResult is what RunFleet measured.
type FleetResult struct {
	Date     time.Time `json:"date"`
	Machine  Machine   `json:"machine"`
	Clusters int       `json:"clusters"`
	Nodes    int       `json:"nodes"`
	SimSpeed float64   `json:"sim_speed"`
	// Ideal is how long one upgrade takes in simulated time at SimSpeed,
	// with nothing else running: the least the fleet can take.
	Ideal time.Duration `json:"ideal_ns"`
	// Elapsed is from the first UpgradeCluster sent until every upgrade
	// had finished (observed every second); StartSpread is how long sending
	// all UpgradeCluster requests took.
	Elapsed     time.Duration `json:"elapsed_ns"`
	StartSpread time.Duration `json:"start_spread_ns"`
	// Overhead is Elapsed / Ideal.
	Overhead  float64 `json:"overhead"`
	Succeeded int     `json:"succeeded"`
	Failed    int     `json:"failed"`
	// Passes is the number of engine passes over the upgrade tasks; each
	// takes at most one step per node in flight, so a pass is one step
	// transition or a look that found the step still running.
	Passes       int     `json:"passes"`
	PassesPerSec float64 `json:"passes_per_sec"`
	// PeakRSS is the process's peak resident memory (VmHWM): server, load
	// generator and signed requests together. PeakGoMemory is the peak of
	// the Go runtime's total mapped memory, sampled every second.
	PeakRSS      int64 `json:"peak_rss_bytes"`
	PeakGoMemory int64 `json:"peak_go_memory_bytes"`
	// Signed is how many requests were signed for the windows; they are
	// part of the peak (about 150 bytes each).
	Signed int `json:"signed"`
	// Bare and Idle are the bare handler and ackup measured with the same
	// load after the fleet finished; Windows the ackup loads while it ran.
	Bare    Stats   `json:"bare"`
	Idle    Stats   `json:"idle"`
	Windows []Stats `json:"windows"`
	// WorstRatio is the lowest window throughput over Bare's; WorstP99 the
	// highest window p99.
	WorstRatio float64       `json:"worst_ratio"`
	WorstP99   time.Duration `json:"worst_p99_ns"`
}

func (c *FleetConfig) defaults() {
	if c.Clusters <= 0 {
		c.Clusters = 500
	}
	if c.Nodes <= 0 {
		c.Nodes = 5
	}
	if c.SimSpeed <= 0 {
		c.SimSpeed = 10
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	c.Windows = max(c.Windows, 0)
	if c.Window <= 0 {
		c.Window = 10 * time.Second
	}
	if c.SetupConcurrency <= 0 {
		c.SetupConcurrency = 32
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
}

// IdealUpgrade is the simulated time of one cluster upgrade of nodes nodes
// with the default max_parallelism of 1, at speed: the precheck, the
// control plane, then each node drained, upgraded and Ready in turn.
func IdealUpgrade(nodes int, speed float64) time.Duration {
	d := sim.PrecheckTime + sim.ControlPlaneTime + time.Duration(nodes)*(sim.DrainTime+sim.NodeUpgradeTime+sim.NodeReadyTime)
	return time.Duration(float64(d) / speed)
}

// RunFleet starts a server in this process, creates the fleet, starts
// every upgrade at once and measures until all have finished.
func RunFleet(ctx context.Context, cfg FleetConfig) (FleetResult, error) {
	cfg.defaults()
	res := FleetResult{Date: time.Now().UTC(), Machine: ReadMachine(), Clusters: cfg.Clusters, Nodes: cfg.Nodes,
		SimSpeed: cfg.SimSpeed, Ideal: IdealUpgrade(cfg.Nodes, cfg.SimSpeed)}
	srv, err := StartServer(ctx, cfg.DB, cfg.SimSpeed, cfg.Logger)
	if err != nil {
		return res, err
	}
	defer srv.Close()
	cred := srv.Credentials
	cred.SignatureAlgorithm = cfg.SignatureAlgorithm
	setup := Setup{Endpoint: srv.Addr(), Credentials: cred, Clusters: cfg.Clusters, Nodes: cfg.Nodes,
		Concurrency: cfg.SetupConcurrency, Progress: cfg.Progress}

	cfg.Progress(fmt.Sprintf("creating %d clusters of %d nodes at %s", cfg.Clusters, cfg.Nodes, srv.Addr()))
	ids, err := CreateClusters(ctx, setup)
	if err != nil {
		return res, err
	}
	cfg.Progress("waiting until every cluster runs")
	if err := waitTasks(ctx, srv, upgrade.TaskClusterCreate, cfg.Clusters, cfg.Progress, nil); err != nil {
		return res, err
	}

	tr := newTransport(cfg.Concurrency)
	defer tr.CloseIdleConnections()
	loadCfg := Config{Endpoint: srv.Addr(), Credentials: cred, ClusterIDs: ids, Concurrency: cfg.Concurrency,
		Duration: cfg.Window, Warmup: 2 * time.Second, Progress: cfg.Progress}
	if err := loadCfg.defaults(); err != nil {
		return res, err
	}
	rate, _, err := calibrate(ctx, loadCfg, tr)
	if err != nil {
		return res, err
	}
	// The fleet slows the reads down, so a smaller margin than Run's is
	// enough, and it keeps the signed requests' memory small.
	windowSize := poolSize(rate, 1.5, cfg.Window, cfg.Concurrency, loadCfg.MaxRequests)
	cfg.Progress(fmt.Sprintf("idle GetUpgradeStatus: %.0f requests/s; signing %d windows of %d requests", rate, cfg.Windows, windowSize))
	pools, err := signWindows(ctx, loadCfg, cfg, windowSize, res.Ideal)
	if err != nil {
		return res, err
	}
	res.Signed = windowSize * cfg.Windows
	before := passCount(srv)

	cfg.Progress(fmt.Sprintf("starting %d upgrades; ideal time %s at speed %g", cfg.Clusters, res.Ideal, cfg.SimSpeed))
	start := time.Now()
	if err := StartUpgrades(ctx, setup, ids); err != nil {
		return res, err
	}
	res.StartSpread = time.Since(start)
	var (
		peakGo  int64
		waitErr error
	)
	fleetDone := make(chan struct{})
	go func() {
		defer close(fleetDone)
		waitErr = waitTasks(ctx, srv, upgrade.TaskClusterUpgrade, cfg.Clusters, cfg.Progress, func() {
			peakGo = max(peakGo, goMemory())
		})
	}()
	res.Windows, err = runWindows(ctx, loadCfg, cfg, pools, windowSize, start, res.Ideal, tr, fleetDone)
	<-fleetDone
	if err = errors.Join(err, waitErr); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	res.Overhead = res.Elapsed.Seconds() / res.Ideal.Seconds()
	res.Passes = passCount(srv) - before
	res.PassesPerSec = float64(res.Passes) / res.Elapsed.Seconds()
	res.Succeeded, res.Failed, err = finished(ctx, srv)
	if err != nil {
		return res, err
	}
	res.PeakRSS, res.PeakGoMemory = peakRSS(), peakGo

	cfg.Progress("the fleet finished; measuring the bare handler and idle ackup with the same load")
	if res.Bare, res.Idle, err = baseline(ctx, loadCfg, tr); err != nil {
		return res, err
	}
	for i, w := range res.Windows {
		if res.Bare.Throughput == 0 {
			break
		}
		r := w.Throughput / res.Bare.Throughput
		if i == 0 || r < res.WorstRatio {
			res.WorstRatio = r
		}
		res.WorstP99 = max(res.WorstP99, w.P99)
	}
	return res, ctx.Err()
}

// windowPool is a window's signed requests; pool is nil when they are to
// be signed just before the window, which starts too late for signatures
// made now to be valid then.
type windowPool struct{ pool *Pool }

// signWindows signs the windows' requests now when the last window ends
// within 12 minutes, and leaves the rest to be signed just before.
func signWindows(ctx context.Context, loadCfg Config, cfg FleetConfig, n int, ideal time.Duration) ([]windowPool, error) {
	pools := make([]windowPool, cfg.Windows)
	for k := range pools {
		if windowAt(k, cfg.Windows, ideal, cfg.Window)+cfg.Window > 12*time.Minute {
			continue
		}
		p, err := NewPool(ctx, loadCfg.Endpoint, loadCfg.Credentials, loadCfg.ClusterIDs, n)
		if err != nil {
			return nil, err
		}
		pools[k].pool = p
	}
	return pools, nil
}

// windowAt is when window k of n starts after the fleet's start: windows
// are centred on equal slices of the ideal time.
func windowAt(k, n int, ideal, window time.Duration) time.Duration {
	return max(0, time.Duration(float64(ideal)*(float64(k)+0.5)/float64(n))-window/2)
}

// runWindows runs the GetUpgradeStatus loads while the fleet runs; a
// window whose time comes after the fleet has finished is skipped.
func runWindows(ctx context.Context, loadCfg Config, cfg FleetConfig, pools []windowPool, n int, start time.Time, ideal time.Duration,
	tr http.RoundTripper, fleetDone <-chan struct{}) ([]Stats, error) {
	var out []Stats
	for k, wp := range pools {
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-fleetDone:
			return out, nil
		case <-time.After(time.Until(start.Add(windowAt(k, len(pools), ideal, cfg.Window)))):
		}
		p := wp.pool
		if p == nil {
			var err error
			if p, err = NewPool(ctx, loadCfg.Endpoint, loadCfg.Credentials, loadCfg.ClusterIDs, n); err != nil {
				return out, err
			}
		}
		cfg.Progress(fmt.Sprintf("GetUpgradeStatus load %d of %d (%s) while the fleet runs", k+1, len(pools), cfg.Window))
		st := (&load{name: fmt.Sprintf("ackup, fleet window %d", k+1), rt: tr, concurrency: cfg.Concurrency,
			duration: cfg.Window, next: once(p)}).run(ctx)
		out = append(out, st)
	}
	return out, nil
}

// baseline measures the bare handler answering what GetUpgradeStatus now
// answers, and idle ackup, with the same load.
func baseline(ctx context.Context, loadCfg Config, tr http.RoundTripper) (bare, idle Stats, err error) {
	rate, resp, err := calibrate(ctx, loadCfg, tr)
	if err != nil {
		return bare, idle, err
	}
	pool, err := NewPool(ctx, loadCfg.Endpoint, loadCfg.Credentials, loadCfg.ClusterIDs,
		poolSize(rate, 2, loadCfg.Duration, loadCfg.Concurrency, loadCfg.MaxRequests))
	if err != nil {
		return bare, idle, err
	}
	b, err := startBare(ctx, loadCfg, resp, pool)
	if err != nil {
		return bare, idle, err
	}
	defer b.stop()
	bare = b.measure(ctx, loadCfg, 0)
	idle = (&load{name: "ackup, idle after the fleet", rt: tr, concurrency: loadCfg.Concurrency,
		duration: loadCfg.Duration, next: once(pool)}).run(ctx)
	return bare, idle, ctx.Err()
}

// waitTasks polls the store until want tasks of typ have finished, telling
// progress every 10s and calling sample at every poll.
func waitTasks(ctx context.Context, srv *LocalServer, typ upgrade.TaskType, want int, progress func(string), sample func()) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		if sample != nil {
			sample()
		}
		counts, err := srv.Store.TaskCountByState(ctx)
		if err != nil {
			return err
		}
		var active, ended int
		for _, c := range counts {
			if c.Type != typ {
				continue
			}
			if c.State.Active() {
				active += c.N
			} else {
				ended += c.N
			}
		}
		if active == 0 && ended >= want {
			return nil
		}
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			progress(fmt.Sprintf("%s: %d of %d finished", typ, ended, want))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// finished counts the fleet's upgrades that succeeded and failed.
func finished(ctx context.Context, srv *LocalServer) (ok, failed int, err error) {
	counts, err := srv.Store.TaskCountByState(ctx)
	for _, c := range counts {
		if c.Type != upgrade.TaskClusterUpgrade {
			continue
		}
		if c.State == upgrade.TaskSuccess {
			ok += c.N
		} else {
			failed += c.N
		}
	}
	return ok, failed, err
}

// passCount reads how many engine passes over cluster upgrades the
// server's metrics have recorded.
func passCount(srv *LocalServer) int {
	fams, err := srv.Metrics.Registry().Gather()
	if err != nil {
		return 0
	}
	n := 0
	for _, f := range fams {
		if f.GetName() != ackmetrics.NamePass {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "type" && l.GetValue() == string(upgrade.TaskClusterUpgrade) {
					n += int(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return n
}

// goMemory returns the memory the Go runtime has mapped.
func goMemory() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}
