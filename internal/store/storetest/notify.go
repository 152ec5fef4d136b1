package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// testNotifier checks store.Notifier on drivers that implement it: a
// listener receives the task IDs notified, one notification each once it
// listens, and Listen returns ctx.Err() when its context ends.
func testNotifier(t *testing.T, open func(*testing.T) store.Store) {
	n, isNotifier := open(t).(store.Notifier)
	if !isNotifier {
		t.Log("the driver does not implement store.Notifier (optional)")
		return
	}
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan string, 100)
	done := make(chan error, 1)
	go func() {
		done <- n.Listen(ctx, func(id string) {
			select {
			case got <- id:
			case <-ctx.Done():
			}
		})
	}()
	// A notification sent before Listen listens is lost by design, so the
	// first is repeated until one arrives.
	await := func(want string, repeat bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for first := true; ; first = false {
			if first || repeat {
				ok(t, n.Notify(t.Context(), want))
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
	await("T-1", true)
	await("T-2", false) // once listening, one Notify is enough
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v after its context ended; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return within 10s of its context ending")
	}
}
