package sign

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestMemoryNoncesReplayAndExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const window = 15 * time.Minute
	m := NewMemoryNonces(window)
	t0 := specDate

	if err := m.Use(ctx, "k1", "n", t0); err != nil {
		t.Fatalf("first use: %v", err)
	}
	for _, at := range []time.Duration{0, time.Second, window / 2, window - time.Nanosecond, window} {
		if err := m.Use(ctx, "k1", "n", t0.Add(at)); !errors.Is(err, ErrNonceUsed) {
			t.Errorf("replay %v later: %v, want ErrNonceUsed", at, err)
		}
	}
	// The same nonce under another key, and another nonce, are fresh.
	if err := m.Use(ctx, "k2", "n", t0); err != nil {
		t.Errorf("other key: %v", err)
	}
	if err := m.Use(ctx, "k1", "n2", t0); err != nil {
		t.Errorf("other nonce: %v", err)
	}
	// Length-prefixing keeps (id, nonce) pairs apart.
	if err := m.Use(ctx, "k", "1n", t0); err != nil {
		t.Errorf("(k, 1n) collided with (k1, n): %v", err)
	}
	// Forgotten once the window and one generation have passed.
	if err := m.Use(ctx, "k1", "n", t0.Add(window+window/nonceGenerations+time.Nanosecond)); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// TestMemoryNoncesBounded: entries are dropped once the window has passed,
// so Len falls back instead of growing with every request ever seen.
func TestMemoryNoncesBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const window = time.Minute
	m := NewMemoryNonces(window)
	t0 := specDate
	for i := range 10000 {
		at := t0.Add(time.Duration(i) * time.Millisecond) // 10 s worth
		if err := m.Use(ctx, "k", fmt.Sprint(i), at); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Len(); n != 10000 {
		t.Fatalf("Len = %d, want 10000", n)
	}
	// Keep using it at a steady rate for several windows: Len stays bounded
	// by roughly (window + window/4) worth of requests.
	for i := range 5000 {
		at := t0.Add(10*time.Second + time.Duration(i)*60*time.Millisecond) // 300 s
		if err := m.Use(ctx, "k", fmt.Sprint("s", i), at); err != nil {
			t.Fatal(err)
		}
	}
	// 16.67 requests/s over at most 75 s.
	if n, max := m.Len(), int(75*1000/60)+1; n > max {
		t.Fatalf("Len = %d after steady use, want <= %d", n, max)
	}
	// A single use far later drops everything older.
	if err := m.Use(ctx, "k", "late", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("Len = %d an hour later, want 1", n)
	}
}

// TestMemoryNoncesClockBehind: a caller whose now lags the newest seen
// time still has its nonce remembered.
func TestMemoryNoncesClockBehind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemoryNonces(time.Minute)
	if err := m.Use(ctx, "k", "new", specDate.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{specDate, specDate.Add(-time.Hour)} {
		if err := m.Use(ctx, "k", at.String(), at); err != nil {
			t.Fatal(err)
		}
		if err := m.Use(ctx, "k", at.String(), specDate.Add(time.Minute)); !errors.Is(err, ErrNonceUsed) {
			t.Errorf("nonce used at %v forgotten: %v", at, err)
		}
	}
}

func TestMemoryNoncesConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemoryNonces(time.Minute)
	const workers, perWorker = 8, 2000
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[string]int{}
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				// Every nonce is tried by two workers; exactly one may win.
				nonce := fmt.Sprint(i, "-", w/2)
				at := specDate.Add(time.Duration(i) * time.Millisecond)
				err := m.Use(ctx, "k", nonce, at)
				if err != nil && !errors.Is(err, ErrNonceUsed) {
					t.Error(err)
					return
				}
				if err == nil {
					mu.Lock()
					accepted[nonce]++
					mu.Unlock()
				}
				if i%500 == 0 {
					_ = m.Len()
				}
			}
		})
	}
	wg.Wait()
	if len(accepted) != workers/2*perWorker {
		t.Fatalf("%d nonces accepted, want %d", len(accepted), workers/2*perWorker)
	}
	for nonce, n := range accepted {
		if n != 1 {
			t.Fatalf("nonce %s accepted %d times", nonce, n)
		}
	}
}

func TestFloorDivMod(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ a, b, q, r int64 }{{7, 2, 3, 1}, {-7, 2, -4, 1}, {-8, 2, -4, 0}, {0, 5, 0, 0}} {
		if q, r := floorDiv(tt.a, tt.b), floorMod(tt.a, tt.b); q != tt.q || r != tt.r {
			t.Errorf("floor(%d/%d) = %d rem %d, want %d rem %d", tt.a, tt.b, q, r, tt.q, tt.r)
		}
	}
}
