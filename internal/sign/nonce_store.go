package sign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// StoreNonces keeps every nonce in a store.NonceStore, committed before Use
// returns: the replay cache of PostgreSQL, which replicas share, so that a
// replay sent to another replica is caught too.
type StoreNonces struct {
	Store store.NonceStore
	// Window is how long a nonce is kept (2*DefaultWindow if zero).
	Window time.Duration
}

// Use records the nonce in the store.
func (s StoreNonces) Use(ctx context.Context, keyID, nonce string, now time.Time) error {
	return storeUse(ctx, s.Store, keyID, nonce, now, retention(s.Window))
}

func retention(w time.Duration) time.Duration {
	if w <= 0 {
		return 2 * DefaultWindow
	}
	return w
}

func storeUse(ctx context.Context, st store.NonceStore, keyID, nonce string, now time.Time, window time.Duration) error {
	err := st.NonceUse(ctx, keyID, nonce, now, window)
	if errors.Is(err, store.ErrNonceUsed) {
		return ErrNonceUsed
	}
	return err
}

// PersistentNonces is a MemoryNonces in front of a store.NonceStore, for a
// store that one process owns (SQLite): memory answers every check, and the
// store makes the nonces survive a restart, when OpenPersistentNonces loads
// the live ones back.
//
// When a nonce reaches the disk depends on what its request can do. A
// write's nonce (UseWrite: any method but GET and HEAD) is committed before
// UseWrite returns, so before the write takes effect: a write captured
// before a crash is refused after it. A read's nonce (Use) is queued and
// committed in batches, at the latest FlushEvery later (and on Close): a
// read changes nothing, so replaying one that a crash dropped from the
// queue reveals only what its first answer did, and keeping a synchronous
// insert off the read path keeps GetUpgradeStatus as fast as with memory
// alone. Should the queue back up (the store slower than the requests), a
// read's nonce is written synchronously too.
type PersistentNonces struct {
	mem    *MemoryNonces
	st     store.NonceStore
	window time.Duration
	every  time.Duration
	log    *slog.Logger

	mu      sync.Mutex
	pending []store.Nonce
	kick    chan struct{} // a batch is full
	stop    chan struct{}
	done    chan struct{}
	closed  bool
}

// PersistentNoncesConfig configures OpenPersistentNonces. Zero values take
// the defaults.
type PersistentNoncesConfig struct {
	// Window is how long a nonce is kept (default 2*DefaultWindow).
	Window time.Duration
	// Max caps the nonces held in memory (default DefaultMaxNonces; see
	// MemoryNonces.SetMax).
	Max int
	// FlushEvery is the longest a read's nonce waits to be committed
	// (default 100 ms).
	FlushEvery time.Duration
	// Now is the clock for loading and flushing (default time.Now).
	Now func() time.Time
	// Logger receives failed flushes (default slog.Default()).
	Logger *slog.Logger
}

const (
	// nonceBatch is the queue length that triggers a flush before
	// FlushEvery; nonceQueueMax the length past which reads write through.
	nonceBatch    = 4096
	nonceQueueMax = 64 * nonceBatch
)

// OpenPersistentNonces loads the nonces live in st at now into memory and
// starts the goroutine that commits reads' nonces; Close stops it.
func OpenPersistentNonces(ctx context.Context, st store.NonceStore, cfg PersistentNoncesConfig) (*PersistentNonces, error) {
	window := retention(cfg.Window)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &PersistentNonces{mem: NewMemoryNonces(window), st: st, window: window, every: cfg.FlushEvery, log: cfg.Logger,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if cfg.Max != 0 {
		p.mem.SetMax(cfg.Max)
	}
	// Loaded past the cap if need be: a live nonce is never forgotten.
	err := st.NonceLive(ctx, cfg.Now(), func(n store.Nonce) error {
		p.mem.remember(n.KeyID, n.Nonce, n.Expires.Add(-window))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load signature nonces: %w", err)
	}
	go p.run(cfg.Now)
	return p, nil
}

// Len returns how many nonces are held in memory.
func (p *PersistentNonces) Len() int { return p.mem.Len() }

// Use checks and records the nonce of a request that changes nothing; the
// store has it within FlushEvery.
func (p *PersistentNonces) Use(ctx context.Context, keyID, nonce string, now time.Time) error {
	if err := p.mem.Use(ctx, keyID, nonce, now); err != nil {
		return err
	}
	n := store.Nonce{KeyID: keyID, Nonce: nonce, Expires: now.Add(p.window)}
	p.mu.Lock()
	if p.closed || len(p.pending) >= nonceQueueMax {
		p.mu.Unlock()
		return p.st.NonceRecord(ctx, now, []store.Nonce{n})
	}
	p.pending = append(p.pending, n)
	full := len(p.pending) == nonceBatch
	p.mu.Unlock()
	if full {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// UseWrite checks and records the nonce of a request that may change
// state, committed in the store before it returns.
func (p *PersistentNonces) UseWrite(ctx context.Context, keyID, nonce string, now time.Time) error {
	if err := p.mem.Use(ctx, keyID, nonce, now); err != nil {
		return err
	}
	// Memory said fresh, so the store can only disagree if something else
	// wrote to it; a store error fails the request, and the nonce stays
	// used in memory, which errs on the side of refusing.
	return storeUse(ctx, p.st, keyID, nonce, now, p.window)
}

// Flush commits the queued nonces now.
func (p *PersistentNonces) Flush(ctx context.Context, now time.Time) error {
	p.mu.Lock()
	batch := p.pending
	p.pending = nil
	p.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := p.st.NonceRecord(ctx, now, batch); err != nil {
		// Put them back for the next flush, ahead of newer ones.
		p.mu.Lock()
		p.pending = append(batch, p.pending...)
		p.mu.Unlock()
		return err
	}
	return nil
}

// Close stops the flushing goroutine and commits what is queued. Later
// reads write through.
func (p *PersistentNonces) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	return p.Flush(ctx, time.Now())
}

func (p *PersistentNonces) run(now func() time.Time) {
	defer close(p.done)
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		case <-p.kick:
		}
		if err := p.Flush(context.Background(), now()); err != nil {
			p.log.Warn("commit signature nonces", slog.String("error", err.Error()))
		}
	}
}
