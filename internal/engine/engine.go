// Package engine is ackup's durable reconciler. Every task's progress lives
// in the store; each pass over a task re-reads it, takes at most one step per
// node in flight, records the result in one fenced transaction, and says when
// to look again. A pass is safe to repeat after a crash: a step whose record
// did not commit is simply taken again.
//
// ackup drives tasks with its own small loop rather than a job library: the
// lease and fencing token live on the task row itself, so the fence check and
// the step's writes commit in one transaction, which a separate job table
// could not give without a second lock; and a pass is one short transaction,
// which keeps thousands of simulated upgrades cheap on SQLite.
package engine

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// Config configures an Engine. Zero values take the documented defaults.
type Config struct {
	Store store.Store
	// Executor returns the executor for a cluster.
	Executor func(c upgrade.Cluster) (executor.Executor, error)
	// Owner names this engine instance in task leases (default host-pid-random).
	Owner string
	// Lease is how long a claim on a task lasts (default 15s). Another
	// instance may take a task over once its lease has expired.
	Lease time.Duration
	// Poll is the longest the engine waits before looking for due tasks
	// again when nothing wakes it (default 1s).
	Poll time.Duration
	// Workers is the number of tasks reconciled concurrently (default 8).
	Workers int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives errors and step failures (default slog.Default()).
	Logger *slog.Logger
	// Observe, when set, is told the duration of every pass (for metrics).
	Observe func(taskType string, d time.Duration, err error)
	// RetryBase and RetryCap bound the back-off after failures (defaults
	// DefaultRetryBase and DefaultRetryCap; see backoff.go).
	RetryBase, RetryCap time.Duration
	// Rand returns the jitter of a back-off, in [0, 1) (default
	// math/rand/v2's Float64).
	Rand func() float64
	// After is the timer the claim loop waits on (default time.After).
	After func(d time.Duration) <-chan time.Time
}

// Engine drives tasks. Start it once; Stop waits for passes in progress.
type Engine struct {
	cfg    Config
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	inflight map[string]bool
	retries  map[string]*retryState // tasks backing off after failures
}

// New validates cfg and returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Executor == nil {
		return nil, errors.New("engine: Store and Executor are required")
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = crand.Read(b)
		cfg.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 15 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryCap < cfg.RetryBase {
		cfg.RetryCap = max(DefaultRetryCap, cfg.RetryBase)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	return &Engine{cfg: cfg, wake: make(chan struct{}, 1), inflight: map[string]bool{}, retries: map[string]*retryState{}}, nil
}

// QueueDepth returns how many tasks this instance has claimed and not yet
// finished a pass over: those waiting for a worker plus those in a pass.
func (e *Engine) QueueDepth() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.inflight)
}

// Wake asks the engine to look for due tasks now.
func (e *Engine) Wake(string) {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Start runs the engine until Stop is called or ctx is done.
func (e *Engine) Start(ctx context.Context) {
	ctx, e.cancel = context.WithCancel(ctx)
	e.done = make(chan struct{})
	work := make(chan store.Claim)
	var wg sync.WaitGroup
	for i := 0; i < e.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				e.runClaim(ctx, c)
			}
		}()
	}
	go func() {
		defer close(e.done)
		defer wg.Wait()
		defer close(work)
		e.loop(ctx, work)
	}()
}

// Stop ends the engine and waits for passes in progress to finish.
func (e *Engine) Stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	<-e.done
}

const claimBatch = 256

func (e *Engine) loop(ctx context.Context, work chan<- store.Claim) {
	claimFailures := 0
	for ctx.Err() == nil {
		now := e.cfg.Now()
		claims, err := e.cfg.Store.TaskClaim(ctx, store.ClaimParams{Owner: e.cfg.Owner, Now: now, Lease: e.cfg.Lease, Limit: claimBatch})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			claimFailures++
			d := retryDelay(e.cfg.RetryBase, e.cfg.RetryCap, claimFailures, e.cfg.Rand())
			e.cfg.Logger.Error("claim tasks failed, backing off", "attempt", claimFailures, "retry_in", d, "err", err)
			if !e.sleep(ctx, d, false) {
				return
			}
			continue
		}
		if claimFailures > 0 {
			e.cfg.Logger.Info("claiming tasks again", "failed_attempts", claimFailures)
			claimFailures = 0
		}
		var dispatched int
		var resume time.Time // earliest end of a back-off among claims skipped
		for _, c := range claims {
			if until, wait := e.backingOff(c.TaskID, now); wait {
				if resume.IsZero() || until.Before(resume) {
					resume = until
				}
				continue
			}
			if !e.begin(c.TaskID) {
				continue
			}
			dispatched++
			select {
			case work <- c:
			case <-ctx.Done():
				return
			}
		}
		if len(claims) == claimBatch && dispatched > 0 {
			continue
		}
		wait := e.cfg.Poll
		if !resume.IsZero() && dispatched == 0 {
			// Only tasks backing off are due: the store's next due time is
			// theirs, already past, so wait for the end of their back-off.
			wait = min(wait, max(resume.Sub(now), time.Millisecond))
		} else if next, ok, err := e.cfg.Store.TaskNextDue(ctx); err == nil && ok {
			if d := next.Sub(e.cfg.Now()); d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		if !e.sleep(ctx, wait, true) {
			return
		}
	}
}

// sleep waits d, or until a wake-up when wakeable; false if ctx ended.
func (e *Engine) sleep(ctx context.Context, d time.Duration, wakeable bool) bool {
	wake := e.wake
	if !wakeable {
		wake = nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-e.cfg.After(d):
	}
	return true
}

// begin marks a task in flight in this process; false if it already is.
func (e *Engine) begin(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inflight[id] {
		return false
	}
	e.inflight[id] = true
	return true
}

func (e *Engine) end(id string) {
	e.mu.Lock()
	delete(e.inflight, id)
	e.mu.Unlock()
	e.Wake(id)
}

func (e *Engine) runClaim(ctx context.Context, c store.Claim) {
	defer e.end(c.TaskID)
	start := time.Now()
	typ, err := e.Reconcile(ctx, c)
	if e.cfg.Observe != nil {
		e.cfg.Observe(typ, time.Since(start), err)
	}
	if err != nil && !errors.Is(err, store.ErrFenced) && ctx.Err() == nil {
		e.failed(ctx, c, err)
	}
}

// RunOnce claims every due task and reconciles each once, in this
// goroutine, skipping tasks backing off after failures; a failed pass is
// backed off as Start's workers do, and its error returned. Tests drive
// the engine with it and an injected clock.
func (e *Engine) RunOnce(ctx context.Context) (int, error) {
	claims, err := e.cfg.Store.TaskClaim(ctx, store.ClaimParams{Owner: e.cfg.Owner, Now: e.cfg.Now(), Lease: e.cfg.Lease, Limit: claimBatch})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range claims {
		if _, wait := e.backingOff(c.TaskID, e.cfg.Now()); wait {
			continue
		}
		n++
		if _, err := e.Reconcile(ctx, c); err != nil && !errors.Is(err, store.ErrFenced) {
			e.failed(ctx, c, err)
			return 0, err
		}
	}
	return n, nil
}

// Owner returns the name this instance leases tasks under (readiness
// probes write under it).
func (e *Engine) Owner() string { return e.cfg.Owner }
