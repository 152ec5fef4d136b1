package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/engine"
	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// failingClaims is a store whose TaskClaim fails while fail is set, as a
// SQLite store on a full disk does.
type failingClaims struct {
	store.Store
	fail   atomic.Bool
	claims atomic.Int64
}

var errDiskFull = errors.New("database or disk is full")

func (s *failingClaims) TaskClaim(ctx context.Context, p store.ClaimParams) ([]store.Claim, error) {
	s.claims.Add(1)
	if s.fail.Load() {
		return nil, errDiskFull
	}
	return s.Store.TaskClaim(ctx, p)
}

// recordHandler counts log records by message.
type recordHandler struct {
	mu   sync.Mutex
	msgs map[string]int
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs[r.Message]++
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }
func (h *recordHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.msgs[msg]
}

// waitRequest is one wait of the engine's claim loop on the fake timer.
type waitRequest struct {
	d    time.Duration
	fire chan time.Time
}

// A store refusing claims was retried ~730 times a second, logging each.
// Now each failed claim waits twice as long as the one before, up to the
// cap, and is logged once.
func TestClaimFailuresBackOff(t *testing.T) {
	f := newFixture(t)
	st := &failingClaims{Store: f.st}
	st.fail.Store(true)
	waits, quit := make(chan waitRequest), make(chan struct{})
	logs := &recordHandler{msgs: map[string]int{}}
	const base, ceiling = 100 * time.Millisecond, 2 * time.Second
	eng, err := engine.New(engine.Config{Store: st, Executor: func(upgrade.Cluster) (executor.Executor, error) { return f.sim, nil },
		Owner: "engine-b", Now: f.clk.Now, RetryBase: base, RetryCap: ceiling, Rand: func() float64 { return 0.999999 },
		Logger: slog.New(logs),
		After: func(d time.Duration) <-chan time.Time {
			fire := make(chan time.Time, 1)
			select {
			case waits <- waitRequest{d, fire}:
			case <-quit:
			}
			return fire
		}})
	if err != nil {
		t.Fatal(err)
	}
	eng.Start(context.Background())
	defer eng.Stop()
	defer close(quit)
	next := func() waitRequest {
		t.Helper()
		select {
		case w := <-waits:
			return w
		case <-time.After(10 * time.Second):
			t.Fatal("the engine never waited")
		}
		return waitRequest{}
	}
	want := base
	for i := 1; i <= 8; i++ {
		w := next()
		if w.d < want*99/100 || w.d > want {
			t.Fatalf("wait %d after a failed claim: %s, want about %s", i, w.d, want)
		}
		if got := st.claims.Load(); got != int64(i) {
			t.Fatalf("%d claims before wait %d: the engine retried without waiting", got, i)
		}
		want = min(2*want, ceiling)
		w.fire <- time.Now()
	}
	if n := logs.count("claim tasks failed, backing off"); n != 8 {
		t.Errorf("%d log lines for 8 failed claims", n)
	}
	st.fail.Store(false)
	w := next() // the ninth claim failed too; the tenth succeeds
	w.fire <- time.Now()
	w = next()
	if w.d != time.Second {
		t.Errorf("wait after a successful claim: %s, want the poll interval 1s", w.d)
	}
	if logs.count("claiming tasks again") != 1 {
		t.Error("recovery was not logged")
	}
	w.fire <- time.Now()
}

// An error before a pass commits (here: the executor cannot be built) made
// the engine re-claim the task at once, ~21 times a second, forever, with
// nothing shown to the user. Now the task waits out a growing back-off and,
// after a few attempts, says why in DescribeTaskInfo and GetUpgradeStatus.
func TestPassErrorsBackOffAndAreShown(t *testing.T) {
	f := newFixture(t)
	cid := f.createCluster(from, nil, 1)
	var broken atomic.Bool
	eng, err := engine.New(engine.Config{Store: f.st, Owner: "engine-a", Now: f.clk.Now, Lease: time.Minute,
		RetryBase: time.Second, RetryCap: 8 * time.Second, Rand: func() float64 { return 0.999999 },
		Logger: slog.New(slog.DiscardHandler),
		Executor: func(upgrade.Cluster) (executor.Executor, error) {
			if broken.Load() {
				return nil, errors.New("executor cannot be built: kubeconfig unreadable")
			}
			return f.sim, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	tid, err := f.svc.UpgradeCluster(f.ctx, f.acct, cid, service.UpgradeParams{NextVersion: to})
	if err != nil {
		t.Fatal(err)
	}
	broken.Store(true)
	var last time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		if _, err := eng.RunOnce(f.ctx); err == nil {
			t.Fatalf("attempt %d: the pass did not fail", attempt)
		}
		// At the same instant the task is not taken again.
		if n, err := eng.RunOnce(f.ctx); err != nil || n != 0 {
			t.Fatalf("attempt %d: the failed task was driven again at once (%d, %v)", attempt, n, err)
		}
		tk := f.task(tid)
		wait := tk.NextRunAt.Sub(f.clk.Now())
		if wait <= last || wait > 8*time.Second {
			t.Fatalf("attempt %d: next run in %s after %s before", attempt, wait, last)
		}
		last = min(wait, 8*time.Second-time.Millisecond)
		if attempt >= 3 {
			view, err := f.svc.DescribeTask(f.ctx, f.acct, tid)
			if err != nil || !strings.Contains(view.Message, "kubeconfig unreadable") || !strings.Contains(view.Message, "retrying") {
				t.Fatalf("attempt %d: DescribeTaskInfo message %q (%v) does not say why the task is stuck", attempt, view.Message, err)
			}
			st, err := f.svc.UpgradeStatus(f.ctx, f.acct, cid)
			if err != nil || !strings.Contains(st.TaskMessage, "kubeconfig unreadable") {
				t.Fatalf("attempt %d: GetUpgradeStatus message %q (%v)", attempt, st.TaskMessage, err)
			}
		}
		f.clk.Set(tk.NextRunAt)
	}
	broken.Store(false)
	tk := f.runChecked(cid, tid)
	if tk.State != upgrade.TaskSuccess {
		t.Fatalf("after the executor came back the task ended %s: %s", tk.State, tk.ErrorMessage)
	}
	if strings.Contains(tk.Message, "retrying") {
		t.Errorf("a stale retry message stayed on the finished task: %q", tk.Message)
	}
}
