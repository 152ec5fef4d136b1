package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// testNonces pins down store.NonceStore: a use is refused while its record
// is live and accepted again once it has expired, keys keep pairs apart,
// write-behind records count like uses and keep the later expiry, the live
// records can be listed back, and concurrent uses of one pair let exactly
// one through.
func testNonces(t *testing.T, open func(*testing.T) store.Store) {
	t.Run("UseAndExpire", func(t *testing.T) {
		t.Parallel()
		ns := nonceStore(t, open)
		ctx := t.Context()
		const window = 30 * time.Minute
		ok(t, ns.NonceUse(ctx, "k1", "n1", at(0), window))
		isErr(t, "replay at once", ns.NonceUse(ctx, "k1", "n1", at(0), window), store.ErrNonceUsed)
		isErr(t, "replay just inside", ns.NonceUse(ctx, "k1", "n1", at(window-time.Millisecond), window), store.ErrNonceUsed)
		ok(t, ns.NonceUse(ctx, "k2", "n1", at(0), window))
		ok(t, ns.NonceUse(ctx, "k1", "n2", at(0), window))
		// Once expired the pair may be used again, and is then live anew.
		ok(t, ns.NonceUse(ctx, "k1", "n1", at(window), window))
		isErr(t, "replay of the renewed use", ns.NonceUse(ctx, "k1", "n1", at(window+time.Second), window), store.ErrNonceUsed)
	})
	t.Run("RecordAndLive", func(t *testing.T) {
		t.Parallel()
		ns := nonceStore(t, open)
		ctx := t.Context()
		ok(t, ns.NonceRecord(ctx, at(0), nil))
		ok(t, ns.NonceRecord(ctx, at(0), []store.Nonce{
			{KeyID: "k", Nonce: "a", Expires: at(time.Minute)},
			{KeyID: "k", Nonce: "b", Expires: at(time.Hour)},
		}))
		// A second record of a pair keeps the later expiry, in either order.
		ok(t, ns.NonceRecord(ctx, at(0), []store.Nonce{
			{KeyID: "k", Nonce: "a", Expires: at(2 * time.Hour)},
			{KeyID: "k", Nonce: "b", Expires: at(time.Second)},
		}))
		// (In time order: a use may sweep what has expired by its now.)
		isErr(t, "use of a recorded nonce", ns.NonceUse(ctx, "k", "b", at(30*time.Minute), time.Hour), store.ErrNonceUsed)
		isErr(t, "use of a recorded nonce", ns.NonceUse(ctx, "k", "a", at(59*time.Minute), time.Hour), store.ErrNonceUsed)
		ok(t, ns.NonceUse(ctx, "k", "c", at(0), time.Minute))
		got := liveNonces(t, ns, at(30*time.Second))
		want := map[string]time.Time{"k/a": at(2 * time.Hour), "k/b": at(time.Hour), "k/c": at(time.Minute)}
		compareLive(t, got, want)
		compareLive(t, liveNonces(t, ns, at(time.Minute)), map[string]time.Time{"k/a": at(2 * time.Hour), "k/b": at(time.Hour)})
		// Many records in one call (more than one statement's worth).
		var many []store.Nonce
		for i := range 1000 {
			many = append(many, store.Nonce{KeyID: "m", Nonce: fmt.Sprint(i), Expires: at(3 * time.Hour)})
		}
		ok(t, ns.NonceRecord(ctx, at(0), many))
		if n := len(liveNonces(t, ns, at(150*time.Minute))); n != 1000 {
			t.Errorf("live after recording 1000: %d", n)
		}
		stop := errors.New("stop")
		if err := ns.NonceLive(ctx, at(0), func(store.Nonce) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("NonceLive with a failing fn: %v, want its error", err)
		}
	})
	t.Run("Sweep", func(t *testing.T) {
		t.Parallel()
		ns := nonceStore(t, open)
		ctx := t.Context()
		for i := range 50 {
			ok(t, ns.NonceUse(ctx, "k", fmt.Sprint(i), at(0), time.Second))
		}
		// Long after they expired, writes sweep them (bounded batches, so
		// a few rounds at most).
		for i := range 5 {
			ok(t, ns.NonceUse(ctx, "k", fmt.Sprint("late", i), at(time.Duration(i+1)*time.Hour), 10*time.Hour))
			ok(t, ns.NonceRecord(ctx, at(time.Duration(i+1)*time.Hour), []store.Nonce{{KeyID: "k", Nonce: fmt.Sprint("rec", i), Expires: at(10 * time.Hour)}}))
		}
		if n := len(liveNonces(t, ns, at(-time.Hour))); n != 10 {
			t.Errorf("%d records left (expired ones included), want the 10 live ones", n)
		}
	})
	t.Run("ConcurrentUse", func(t *testing.T) {
		t.Parallel()
		ns := nonceStore(t, open)
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted := 0
		for range 8 {
			wg.Go(func() {
				err := ns.NonceUse(context.Background(), "k", "same", at(0), time.Minute)
				switch {
				case err == nil:
					mu.Lock()
					accepted++
					mu.Unlock()
				case !errors.Is(err, store.ErrNonceUsed):
					t.Errorf("NonceUse: %v", err)
				}
			})
		}
		wg.Wait()
		if accepted != 1 {
			t.Errorf("%d concurrent uses accepted, want 1", accepted)
		}
	})
}

func nonceStore(t *testing.T, open func(*testing.T) store.Store) store.NonceStore {
	t.Helper()
	ns, is := open(t).(store.NonceStore)
	if !is {
		t.Fatal("the driver's Store does not implement store.NonceStore")
	}
	return ns
}

// liveNonces lists every record live at now, keyed "key/nonce".
func liveNonces(t *testing.T, ns store.NonceStore, now time.Time) map[string]time.Time {
	t.Helper()
	got := map[string]time.Time{}
	ok(t, ns.NonceLive(t.Context(), now, func(n store.Nonce) error {
		got[n.KeyID+"/"+n.Nonce] = n.Expires
		return nil
	}))
	return got
}

func compareLive(t *testing.T, got, want map[string]time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("live nonces %v, want %v", got, want)
		return
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !g.Equal(w) || g.Location() != time.UTC {
			t.Errorf("live nonce %s expires %v, want %v in UTC", k, g, w)
		}
	}
}
