package sign

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/sqlite"
)

// TestMemoryNoncesCap: past the cap new nonces are refused with
// ErrNonceCapacity, live ones are still recognised (never forgotten), and
// room comes back as nonces expire.
func TestMemoryNoncesCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const window = time.Minute
	m := NewMemoryNonces(window)
	m.SetMax(3)
	for i := range 3 {
		if err := m.Use(ctx, "k", fmt.Sprint(i), specDate); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Use(ctx, "k", "new", specDate); !errors.Is(err, ErrNonceCapacity) {
		t.Fatalf("over the cap: %v, want ErrNonceCapacity", err)
	}
	for i := range 3 {
		if err := m.Use(ctx, "k", fmt.Sprint(i), specDate.Add(window/2)); !errors.Is(err, ErrNonceUsed) {
			t.Fatalf("replay at the cap: %v, want ErrNonceUsed", err)
		}
	}
	if n := m.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	// Once the first three have expired, there is room again; the request
	// lands on whichever shard, which need not be one of theirs.
	later := specDate.Add(window + window/nonceGenerations + time.Nanosecond)
	for i := range 3 {
		if err := m.Use(ctx, "k", fmt.Sprint("later", i), later); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
	}
	if err := m.Use(ctx, "k", "one too many", later); !errors.Is(err, ErrNonceCapacity) {
		t.Fatalf("over the cap again: %v, want ErrNonceCapacity", err)
	}

	// The Verifier answers Throttling.
	v := newTestVerifier(specDate)
	v.Nonces = m
	r := newACS3Request("GET", "/clusters", "", "", later)
	signACS3(t, r, nameACS3SHA256, testKeyID, testSecret)
	v.Now = func() time.Time { return later }
	if _, err := v.Verify(ctx, r); codeOf(err) != CodeThrottling {
		t.Fatalf("Verify at the cap: %v, want %s", err, CodeThrottling)
	}
}

func openNonceDB(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func live(t *testing.T, st store.NonceStore, now time.Time) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	if err := st.NonceLive(context.Background(), now, func(n store.Nonce) error { got[n.KeyID+"/"+n.Nonce] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPersistentNoncesSurviveARestart: a write's nonce is in the store when
// UseWrite returns, a read's once flushed (at the latest on Close), and a
// new PersistentNonces on the same store refuses both.
func TestPersistentNoncesSurviveARestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "n.db")
	st := openNonceDB(t, path)
	now := time.Now()
	clock := func() time.Time { return now }
	// A flush interval the test never reaches: it flushes by hand.
	p, err := OpenPersistentNonces(ctx, st, PersistentNoncesConfig{FlushEvery: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.UseWrite(ctx, "k", "write", now); err != nil {
		t.Fatal(err)
	}
	if !live(t, st, now)["k/write"] {
		t.Fatal("a write's nonce is not in the store when UseWrite returns")
	}
	if err := p.Use(ctx, "k", "read", now); err != nil {
		t.Fatal(err)
	}
	if live(t, st, now)["k/read"] {
		t.Fatal("a read's nonce was written synchronously")
	}
	if err := p.Use(ctx, "k", "read", now); !errors.Is(err, ErrNonceUsed) {
		t.Fatalf("read replay: %v", err)
	}
	if err := p.UseWrite(ctx, "k", "read", now); !errors.Is(err, ErrNonceUsed) {
		t.Fatalf("a read's nonce used for a write: %v", err)
	}
	if err := p.Flush(ctx, now); err != nil {
		t.Fatal(err)
	}
	if !live(t, st, now)["k/read"] {
		t.Fatal("a read's nonce is not in the store after Flush")
	}
	if err := p.Use(ctx, "k", "queued", now); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// A restart: a new cache loads what is live.
	st.Close()
	st2 := openNonceDB(t, path)
	later := now.Add(20 * time.Minute)
	p2, err := OpenPersistentNonces(ctx, st2, PersistentNoncesConfig{FlushEvery: time.Hour, Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close(ctx)
	if n := p2.Len(); n != 3 {
		t.Errorf("loaded %d nonces, want 3", n)
	}
	for _, n := range []string{"write", "read", "queued"} {
		if err := p2.UseWrite(ctx, "k", n, later); !errors.Is(err, ErrNonceUsed) {
			t.Errorf("%s after the restart: %v, want ErrNonceUsed", n, err)
		}
	}
	if err := p2.UseWrite(ctx, "k", "fresh", later); err != nil {
		t.Errorf("a fresh nonce after the restart: %v", err)
	}
}

// TestPersistentNoncesLoadPastTheCap: a store holding more live nonces than
// the cap loads all of them (none forgotten) and refuses new ones.
func TestPersistentNoncesLoadPastTheCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openNonceDB(t, filepath.Join(t.TempDir(), "n.db"))
	now := time.Now()
	var ns []store.Nonce
	for i := range 5 {
		ns = append(ns, store.Nonce{KeyID: "k", Nonce: fmt.Sprint(i), Expires: now.Add(time.Minute)})
	}
	if err := st.NonceRecord(ctx, now, ns); err != nil {
		t.Fatal(err)
	}
	p, err := OpenPersistentNonces(ctx, st, PersistentNoncesConfig{Max: 2, FlushEvery: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if err := p.Use(ctx, "k", "4", now); !errors.Is(err, ErrNonceUsed) {
		t.Errorf("loaded nonce: %v, want ErrNonceUsed", err)
	}
	if err := p.Use(ctx, "k", "new", now); !errors.Is(err, ErrNonceCapacity) {
		t.Errorf("new nonce past the cap: %v, want ErrNonceCapacity", err)
	}
}

// BenchmarkNonceUseMemoryOnly and BenchmarkNonceUsePersistent compare a
// read's nonce check with memory alone (before nonces were persisted on
// SQLite) and with the write-behind store, flush included: the benchmark
// commits the queue itself every nonceBatch uses, so the insert's cost is
// counted per nonce rather than hidden in the background goroutine.
func BenchmarkNonceUseMemoryOnly(b *testing.B) {
	m := NewMemoryNonces(2 * DefaultWindow)
	ctx := context.Background()
	at := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_ = m.Use(ctx, testKeyID, strconv.Itoa(i), at)
	}
}

func BenchmarkNonceUsePersistent(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "n.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	at := time.Now()
	p, err := OpenPersistentNonces(ctx, st, PersistentNoncesConfig{FlushEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_ = p.Use(ctx, testKeyID, strconv.FormatUint(uint64(i)*0x9e3779b97f4a7c15, 16)+"0123456789abcdef", at)
		if i%nonceBatch == 0 {
			if err := p.Flush(ctx, at); err != nil {
				b.Fatal(err)
			}
		}
	}
}
