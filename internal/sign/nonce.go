package sign

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// nonceShards spreads the nonces over independently locked shards so
	// that concurrent requests rarely wait on each other.
	nonceShards = 64
	// nonceGenerations is how many generations one window is cut into. A
	// nonce lives in the generation of its first use and is dropped once
	// nonceGenerations newer generations have begun, so it is remembered for
	// between window and window*(1+1/nonceGenerations).
	nonceGenerations = 4
)

// nonceKey is a 128-bit keyed hash of (AccessKey id, nonce). Storing the hash
// keeps the cost of an entry fixed whatever the client puts in the nonce;
// with per-process random seeds an accidental or crafted collision is out of
// reach.
type nonceKey [2]uint64

// MemoryNonces is an in-process Nonces. Memory is bounded by the window:
// each remembered nonce costs one 16-byte key in a Go map, 40 to 60 bytes
// with the map's overhead (measured: 37 to 56), independent of the nonce's
// length, and a nonce is dropped at most window/4 after its window ends,
// without any goroutine or timer. At 1,000 requests a second and a
// 30-minute window that is at most 2.25 million entries, about 100 to
// 130 MiB.
//
// Memory is also bounded by a cap on the entries (SetMax): past it, Use
// refuses new nonces with ErrNonceCapacity and keeps every live one, since
// forgetting a nonce early would let its request be replayed.
//
// Time comes only from the now passed to Use, so tests control it. Safe for
// concurrent use; the nonces are sharded so that requests seldom contend.
type MemoryNonces struct {
	width int64 // nanoseconds per generation
	seeds [2]maphash.Seed
	head  atomic.Int64 // newest generation any caller has reached
	// n counts the entries of every shard; max caps it (0: no cap).
	n   atomic.Int64
	max atomic.Int64
	// swept is the head at the last sweep of every shard, which Use runs
	// once per generation at most, and only when the cap is reached.
	swept  atomic.Int64
	shards [nonceShards]nonceShard
}

// DefaultMaxNonces is the cap NewMemoryNonces sets: 4 million entries,
// about 170 MiB at 42 bytes each, enough for 1,800 requests a second
// sustained over the longest a nonce is kept (37.5 minutes for the
// 30-minute window).
const DefaultMaxNonces = 4_000_000

// ErrNonceCapacity is returned by Use when the cap is reached and the nonce
// is new: the request is refused (Throttling) rather than a live nonce
// forgotten.
var ErrNonceCapacity = errors.New("sign: too many live signature nonces")

type nonceShard struct {
	mu  sync.Mutex
	gen int64 // the generation of the newest ring slot; math.MinInt64 before first use
	// ring[g % len(ring)] holds the nonces first used in generation g, for
	// the live generations gen-nonceGenerations .. gen.
	ring [nonceGenerations + 1]map[nonceKey]struct{}
	_    [64]byte // keep the locks of neighbouring shards off one cache line
}

// NewMemoryNonces returns a MemoryNonces that remembers each nonce for at
// least window (DefaultWindow if window <= 0). To rule out replays, pass
// twice the Verifier's Window: a request may be dated up to Window ahead of
// the server's clock and is accepted until Window after that date.
func NewMemoryNonces(window time.Duration) *MemoryNonces {
	if window <= 0 {
		window = DefaultWindow
	}
	m := &MemoryNonces{
		width: max(1, int64((window+nonceGenerations-1)/nonceGenerations)),
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
	}
	m.head.Store(math.MinInt64)
	m.swept.Store(math.MinInt64)
	m.max.Store(DefaultMaxNonces)
	for i := range m.shards {
		m.shards[i].gen = math.MinInt64
	}
	return m
}

// SetMax sets the cap on live entries; 0 or less removes it. Lowering it
// below Len forgets nothing: new nonces are refused until enough expire.
func (m *MemoryNonces) SetMax(n int) { m.max.Store(int64(max(n, 0))) }

// Use records (keyID, nonce) at now and returns ErrNonceUsed if it was
// recorded within the window, or ErrNonceCapacity if it is new and the cap
// is reached. It never blocks on I/O; ctx is unused.
func (m *MemoryNonces) Use(_ context.Context, keyID, nonce string, now time.Time) error {
	return m.use(keyID, nonce, now, true)
}

// remember records (keyID, nonce) as first used at now, ignoring the cap:
// it is how nonces already accepted (loaded from a store) come back.
func (m *MemoryNonces) remember(keyID, nonce string, now time.Time) {
	_ = m.use(keyID, nonce, now, false)
}

func (m *MemoryNonces) use(keyID, nonce string, now time.Time, capped bool) error {
	k := m.key(keyID, nonce)
	g := floorDiv(now.UnixNano(), m.width)
	head := m.advance(g)
	if capped {
		if limit := m.max.Load(); limit > 0 && m.n.Load() >= limit {
			m.sweep(head)
		}
	}
	sh := &m.shards[k[0]%nonceShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	m.n.Add(-sh.rotate(head))
	for _, gen := range sh.ring {
		if _, ok := gen[k]; ok {
			return ErrNonceUsed
		}
	}
	if limit := m.max.Load(); capped && limit > 0 && m.n.Load() >= limit {
		return ErrNonceCapacity
	}
	// A caller whose clock lags behind the head files into the oldest
	// live generation rather than one already dropped.
	g = max(g, sh.gen-nonceGenerations)
	slot := &sh.ring[floorMod(g, int64(len(sh.ring)))]
	if *slot == nil {
		*slot = make(map[nonceKey]struct{})
	}
	(*slot)[k] = struct{}{}
	m.n.Add(1)
	return nil
}

// sweep drops the expired generations of every shard, at most once per
// generation: shards rotate only when a request lands on them, so at the
// cap the count may include entries that have already expired.
func (m *MemoryNonces) sweep(head int64) {
	last := m.swept.Load()
	if head <= last || !m.swept.CompareAndSwap(last, head) {
		return
	}
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		m.n.Add(-sh.rotate(head))
		sh.mu.Unlock()
	}
}

// Len returns how many nonces are remembered, after dropping the expired
// ones.
func (m *MemoryNonces) Len() int {
	head := m.head.Load()
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		m.n.Add(-sh.rotate(head))
		for _, gen := range sh.ring {
			n += len(gen)
		}
		sh.mu.Unlock()
	}
	return n
}

func (m *MemoryNonces) key(keyID, nonce string) nonceKey {
	var k nonceKey
	for i, seed := range m.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		// Length-prefixing the id keeps ("ab", "c") apart from ("a", "bc").
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(keyID)))
		h.Write(n[:])
		h.WriteString(keyID)
		h.WriteString(nonce)
		k[i] = h.Sum64()
	}
	return k
}

// advance moves the shared head forward to g and returns the head.
func (m *MemoryNonces) advance(g int64) int64 {
	for {
		h := m.head.Load()
		if g <= h {
			return h
		}
		if m.head.CompareAndSwap(h, g) {
			return g
		}
	}
}

// rotate moves the shard forward to generation head, dropping the
// generations that fall out of the window, and returns how many entries it
// dropped. Dropped maps are released, not cleared, so that memory shrinks
// after a burst.
func (sh *nonceShard) rotate(head int64) int64 {
	if head <= sh.gen {
		return 0
	}
	var dropped int64
	if sh.gen == math.MinInt64 || head-sh.gen >= int64(len(sh.ring)) {
		for _, gen := range sh.ring {
			dropped += int64(len(gen))
		}
		clear(sh.ring[:])
	} else {
		for g := sh.gen + 1; g <= head; g++ {
			slot := &sh.ring[floorMod(g, int64(len(sh.ring)))]
			dropped += int64(len(*slot))
			*slot = nil
		}
	}
	sh.gen = head
	return dropped
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
