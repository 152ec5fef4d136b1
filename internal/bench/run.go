package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"
)

// MaxDuration bounds the measured loads of a run together, so that the
// last request is sent well within the 15 minutes a signature stays valid.
const MaxDuration = 10 * time.Minute

// Config configures Run. Zero values take the documented defaults.
type Config struct {
	// Endpoint is the ackup API's host:port (plain HTTP). Required.
	Endpoint string
	// Credentials sign the requests. Required.
	Credentials Credentials
	// ClusterIDs are the clusters whose status is read, in turn. Required.
	ClusterIDs []string
	// Concurrency is the number of keep-alive connections, each with one
	// request in flight (default 64).
	Concurrency int
	// Duration is how long each measured load runs (default 10s; all of
	// them together at most MaxDuration).
	Duration time.Duration
	// Warmup is how long the calibration load runs before measuring: it
	// opens the connections, warms the server and estimates how many
	// requests to sign (default 2s).
	Warmup time.Duration
	// Bare runs the same load against the bare handler too.
	Bare bool
	// Rounds is how many times the loads run, alternating bare and ackup
	// (default 1). On a noisy machine the round with the median ratio is
	// the headline, and every round is reported.
	Rounds int
	// StartBare starts the bare handler answering resp and returns its
	// address and how to stop it. Default: in this process (ServeBare).
	StartBare func(ctx context.Context, resp Response) (addr string, stop func() error, err error)
	// MaxRequests caps the requests signed for the measured load (default
	// 5,000,000, about 750 MB).
	MaxRequests int
	// Progress, when set, is told what the run is doing.
	Progress func(msg string)
}

// Result is what Run measured.
type Result struct {
	Date        time.Time     `json:"date"`
	Machine     Machine       `json:"machine"`
	Endpoint    string        `json:"endpoint"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration_ns"`
	Clusters    int           `json:"clusters"`
	// Signed is how many requests were signed for the measured load, and
	// SignTime how long that took.
	Signed   int           `json:"signed"`
	SignTime time.Duration `json:"sign_time_ns"`
	// Response is what GetUpgradeStatus answered (and the bare handler
	// replayed).
	Response Response `json:"response"`
	// Ackup, Bare and Ratio are those of the round with the median ratio
	// (of the only round without Bare); Ratio is Ackup.Throughput /
	// Bare.Throughput.
	Ackup  Stats   `json:"ackup"`
	Bare   *Stats  `json:"bare,omitempty"`
	Ratio  float64 `json:"ratio,omitempty"`
	Rounds []Round `json:"rounds"`
}

// Round is one bare load and one ackup load, run one after the other.
type Round struct {
	Bare  *Stats  `json:"bare,omitempty"`
	Ackup Stats   `json:"ackup"`
	Ratio float64 `json:"ratio,omitempty"`
}

func (c *Config) defaults() error {
	if c.Endpoint == "" || len(c.ClusterIDs) == 0 || c.Credentials.AccessKeyID == "" || c.Credentials.AccessKeySecret == "" {
		return errors.New("bench: Endpoint, ClusterIDs and Credentials are required")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Duration > MaxDuration {
		return fmt.Errorf("bench: a run may last at most %s (signatures expire after 15 minutes)", MaxDuration)
	}
	if c.Warmup <= 0 {
		c.Warmup = 2 * time.Second
	}
	if c.Rounds <= 0 {
		c.Rounds = 1
	}
	loads := time.Duration(c.Rounds) * c.Duration
	if c.Bare {
		loads *= 2
	}
	if loads > MaxDuration {
		return fmt.Errorf("bench: the loads of all rounds may last at most %s together, bare ones included (signatures made before the first expire 15 minutes later)", MaxDuration)
	}
	if c.MaxRequests <= 0 {
		c.MaxRequests = 5_000_000
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
	return nil
}

// Run measures GetUpgradeStatus on cfg.Endpoint and, with cfg.Bare, the
// bare handler answering the same bytes, one after the other in one run.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	res := Result{Date: time.Now().UTC(), Machine: ReadMachine(), Endpoint: cfg.Endpoint, Concurrency: cfg.Concurrency,
		Duration: cfg.Duration, Clusters: len(cfg.ClusterIDs)}
	tr := newTransport(cfg.Concurrency)
	defer tr.CloseIdleConnections()

	rate, resp, err := calibrate(ctx, cfg, tr)
	if err != nil {
		return res, err
	}
	res.Response = resp
	n := poolSize(rate, 2, cfg.Duration, cfg.Concurrency, cfg.MaxRequests/cfg.Rounds)
	cfg.Progress(fmt.Sprintf("warm-up: %.0f requests/s; signing %d requests for each of %d rounds", rate, n, cfg.Rounds))
	pool, err := NewPool(ctx, cfg.Endpoint, cfg.Credentials, cfg.ClusterIDs, n*cfg.Rounds)
	if err != nil {
		return res, err
	}
	res.Signed, res.SignTime = pool.Len(), pool.SignTime

	var bare *bareTarget
	if cfg.Bare {
		if bare, err = startBare(ctx, cfg, resp, pool); err != nil {
			return res, err
		}
		defer bare.stop()
	}
	for k := range cfg.Rounds {
		var round Round
		if bare != nil {
			st := bare.measure(ctx, cfg, k)
			round.Bare = &st
		}
		cfg.Progress(fmt.Sprintf("round %d: measuring ackup at %s for %s", k+1, cfg.Endpoint, cfg.Duration))
		round.Ackup = (&load{name: "ackup", rt: tr, concurrency: cfg.Concurrency, duration: cfg.Duration,
			next: slice(pool, k*n, (k+1)*n)}).run(ctx)
		if round.Bare != nil && round.Bare.Throughput > 0 {
			round.Ratio = round.Ackup.Throughput / round.Bare.Throughput
		}
		if cfg.Rounds > 1 {
			round.Ackup.Name = fmt.Sprintf("ackup, round %d", k+1)
			if round.Bare != nil {
				round.Bare.Name = fmt.Sprintf("bare, round %d", k+1)
			}
		}
		res.Rounds = append(res.Rounds, round)
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	med := medianRound(res.Rounds)
	res.Ackup, res.Bare, res.Ratio = med.Ackup, med.Bare, med.Ratio
	return res, nil
}

// medianRound returns the round with the median ratio (the lower middle
// one of an even number).
func medianRound(rounds []Round) Round {
	sorted := slices.Clone(rounds)
	slices.SortStableFunc(sorted, func(a, b Round) int { return cmp.Compare(a.Ratio, b.Ratio) })
	return sorted[(len(sorted)-1)/2]
}

// calibrate runs a short load against the server: it opens the
// connections, captures one response for the bare handler and estimates
// the request rate, to know how many requests to sign.
func calibrate(ctx context.Context, cfg Config, tr http.RoundTripper) (float64, Response, error) {
	n := min(max(cfg.Concurrency*200, 2000), 50_000)
	cfg.Progress(fmt.Sprintf("warm-up: signing %d requests", n))
	pool, err := NewPool(ctx, cfg.Endpoint, cfg.Credentials, cfg.ClusterIDs, n)
	if err != nil {
		return 0, Response{}, err
	}
	resp, err := captureResponse(tr, pool.Request(ctx, 0))
	if err != nil {
		return 0, Response{}, err
	}
	next := once(pool)
	st := (&load{name: "warm-up", rt: tr, concurrency: cfg.Concurrency, duration: cfg.Warmup,
		next: func(ctx context.Context, i int) (*http.Request, bool) { return next(ctx, i+1) }}).run(ctx)
	if st.OK == 0 {
		return 0, resp, fmt.Errorf("bench: no request of the warm-up succeeded (statuses %v, %d connection errors)", st.Status, st.Errors)
	}
	return st.Throughput, resp, ctx.Err()
}

// bareTarget is the bare handler, started, with the requests retargeted
// to it and a transport of its own.
type bareTarget struct {
	pool *Pool
	tr   *http.Transport
	stop func() error
}

// startBare starts the bare handler answering resp and warms it up.
func startBare(ctx context.Context, cfg Config, resp Response, pool *Pool) (*bareTarget, error) {
	start := cfg.StartBare
	if start == nil {
		start = func(_ context.Context, resp Response) (string, func() error, error) {
			b, err := ServeBare("127.0.0.1:0", BareHandler(resp))
			if err != nil {
				return "", nil, err
			}
			return b.Addr(), b.Close, nil
		}
	}
	addr, stop, err := start(ctx, resp)
	if err != nil {
		return nil, err
	}
	b := &bareTarget{pool: pool.Retarget(addr), tr: newTransport(cfg.Concurrency)}
	b.stop = func() error {
		b.tr.CloseIdleConnections()
		return stop()
	}
	cfg.Progress(fmt.Sprintf("warming up the bare handler at %s", addr))
	(&load{name: "warm-up", rt: b.tr, concurrency: cfg.Concurrency, duration: cfg.Warmup, next: b.next}).run(ctx)
	return b, nil
}

// next replays the pool in a ring: the bare handler checks no nonce.
func (b *bareTarget) next(ctx context.Context, i int) (*http.Request, bool) {
	return b.pool.Request(ctx, i%b.pool.Len()), true
}

// measure runs one load against the bare handler.
func (b *bareTarget) measure(ctx context.Context, cfg Config, round int) Stats {
	cfg.Progress(fmt.Sprintf("round %d: measuring the bare handler for %s", round+1, cfg.Duration))
	return (&load{name: "bare", rt: b.tr, concurrency: cfg.Concurrency, duration: cfg.Duration, next: b.next}).run(ctx)
}

// slice hands out each request of the pool from lo to hi once.
func slice(p *Pool, lo, hi int) func(ctx context.Context, i int) (*http.Request, bool) {
	return func(ctx context.Context, i int) (*http.Request, bool) {
		if lo+i >= hi {
			return nil, false
		}
		return p.Request(ctx, lo+i), true
	}
}

// once hands out each request of the pool once.
func once(p *Pool) func(ctx context.Context, i int) (*http.Request, bool) {
	return func(ctx context.Context, i int) (*http.Request, bool) {
		if i >= p.Len() {
			return nil, false
		}
		return p.Request(ctx, i), true
	}
}

// poolSize is how many requests to sign for a load of d at rate, with a
// margin (rate times margin), one per connection at least, at most limit.
func poolSize(rate, margin float64, d time.Duration, concurrency, limit int) int {
	n := int(math.Ceil(rate*margin*d.Seconds())) + 4*concurrency
	return min(n, limit)
}
