package server

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store/postgres"
	"github.com/ackup/ackup/internal/store/postgres/pgtest"
)

// testPostgresSchema creates a schema of its own for the test (see pgtest.Schema).
func testPostgresSchema(t *testing.T) string {
	t.Helper()
	return pgtest.Schema(t, "ackup_server_test_")
}

func openPostgres(t *testing.T, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wakes records the task IDs a notifier hands to its local engine.
type wakes struct {
	mu  sync.Mutex
	ids map[string]int
}

func (w *wakes) wake(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ids == nil {
		w.ids = map[string]int{}
	}
	w.ids[id]++
}

func (w *wakes) count(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ids[id]
}

func TestNotifierWakesOtherReplica(t *testing.T) {
	t.Parallel()
	u := testPostgresSchema(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var localA, localB wakes
	a := newNotifier(openPostgres(t, u), localA.wake, quiet)
	b := newNotifier(openPostgres(t, u), localB.wake, quiet)
	a.start(t.Context())
	b.start(t.Context())
	t.Cleanup(a.stop)
	t.Cleanup(b.stop)

	// B may not be listening yet when A first sends, so A sends again
	// until B hears it. The channel is shared by the whole database, so
	// other tests' task IDs may arrive too: wait for this one.
	b2 := make([]byte, 8)
	rand.Read(b2)
	id := "t-notify-" + hex.EncodeToString(b2)
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for localB.count(id) == 0 {
		a.Wake(id)
		select {
		case <-deadline:
			t.Fatalf("replica B never heard of task %s woken on A", id)
		case <-tick.C:
		}
	}
	if localA.count(id) == 0 {
		t.Errorf("A's own engine was not woken for %s", id)
	}
}

func TestNotifierWakeNeverBlocks(t *testing.T) {
	t.Parallel()
	// Not started, so nothing drains the queue: Wake must still return
	// and still wake the local engine every time.
	var local wakes
	n := newNotifier(nil, local.wake, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 4 * notifyQueue {
			n.Wake("t1")
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wake blocked with a full queue")
	}
	if got := local.count("t1"); got != 4*notifyQueue {
		t.Errorf("local engine woken %d times, want %d", got, 4*notifyQueue)
	}
}

func TestNotifierStopEndsListener(t *testing.T) {
	t.Parallel()
	n := newNotifier(openPostgres(t, testPostgresSchema(t)), func(string) {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	n.start(t.Context())
	n.Wake("t1")
	stopped := make(chan struct{})
	go func() {
		n.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not end the sender and listener")
	}
}
