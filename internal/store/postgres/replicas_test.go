package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNonceUseAcrossReplicas(t *testing.T) {
	t.Parallel()
	u := testSchema(t)
	a, b := openURL(t, u), openURL(t, u)
	ctx := t.Context()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	// The window is shorter than the sweep interval, so no sweep deletes
	// the record in this test: expiry alone must free the nonce.
	const window = 30 * time.Second

	if err := a.NonceUse(ctx, "key1", "n1", t0, window); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := b.NonceUse(ctx, "key1", "n1", t0.Add(10*time.Second), window); !errors.Is(err, ErrNonceUsed) {
		t.Errorf("replay on the other replica: %v, want ErrNonceUsed", err)
	}
	if err := a.NonceUse(ctx, "key1", "n1", t0.Add(window-time.Microsecond), window); !errors.Is(err, ErrNonceUsed) {
		t.Errorf("replay just inside the window: %v, want ErrNonceUsed", err)
	}
	if err := b.NonceUse(ctx, "key2", "n1", t0, window); err != nil {
		t.Errorf("same nonce with another key: %v", err)
	}
	t1 := t0.Add(window)
	if err := b.NonceUse(ctx, "key1", "n1", t1, window); err != nil {
		t.Errorf("use once the window has passed: %v", err)
	}
	if err := a.NonceUse(ctx, "key1", "n1", t1.Add(time.Second), window); !errors.Is(err, ErrNonceUsed) {
		t.Errorf("replay of the renewed nonce: %v, want ErrNonceUsed", err)
	}
}

func TestNonceUseRace(t *testing.T) {
	t.Parallel()
	u := testSchema(t)
	replicas := []*Store{openURL(t, u), openURL(t, u)}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		s := replicas[i%len(replicas)]
		wg.Go(func() {
			err := s.NonceUse(t.Context(), "key1", "same", now, time.Minute)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, ErrNonceUsed):
				t.Errorf("NonceUse: %v", err)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of 16 concurrent uses of one nonce succeeded, want exactly 1", n)
	}
}

func TestNonceSweep(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := t.Context()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, n := range []string{"a", "b", "c"} {
		if err := s.NonceUse(ctx, "key1", n, t0, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// The first call swept at t0; a use a sweep interval later sweeps again
	// and removes the three expired records.
	if err := s.NonceUse(ctx, "key1", "d", t0.Add(nonceSweepEvery), time.Hour); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM nonces").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Errorf("%d nonce records after the sweep, want 1 (the unexpired one)", left)
	}
}

// listenTest runs Listen on s until cleanup and returns the task IDs
// it receives.
func listenTest(t *testing.T, s *Store) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 100)
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(ctx, func(id string) {
			select {
			case got <- id:
			case <-ctx.Done():
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v, want context.Canceled", err)
		}
	})
	return got
}

// awaitNotify notifies id from s until want arrives on got, or fails the
// test after a deadline: the listener may not be listening yet, and a
// notification sent before LISTEN is lost by design.
func awaitNotify(t *testing.T, s *Store, got <-chan string, id, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if id != "" {
			if err := s.Notify(t.Context(), id); err != nil {
				t.Fatalf("Notify: %v", err)
			}
		}
		select {
		case g := <-got:
			if g == want {
				return
			}
		case <-deadline:
			t.Fatalf("no notification %q within 10s", want)
		case <-tick.C:
		}
	}
}

func TestNotifyListenAcrossReplicas(t *testing.T) {
	t.Parallel()
	u := testSchema(t)
	a, b := openURL(t, u), openURL(t, u)
	got := listenTest(t, b)
	awaitNotify(t, a, got, "T-1", "T-1")
	// Once listening, a notification arrives without repetition.
	if err := a.Notify(t.Context(), "T-2"); err != nil {
		t.Fatal(err)
	}
	awaitNotify(t, a, got, "", "T-2")
}

func TestListenReconnects(t *testing.T) {
	t.Parallel()
	app := randomName("ackup_listen_")
	u := withParams(t, testSchema(t), "application_name", app)
	s := openURL(t, u)
	got := listenTest(t, s)
	awaitNotify(t, s, got, "T-1", "T-1")

	// Kill the listener's connection; Listen reconnects and says so
	// with an empty task ID, then delivers notifications again.
	var killed int
	err := s.pool.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query = 'LISTEN ' || $2`, app, taskChannel).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminate listener: %d killed, %v", killed, err)
	}
	awaitNotify(t, s, got, "", "")
	awaitNotify(t, s, got, "T-2", "T-2")
}
