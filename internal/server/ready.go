package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// readyProbeTTL is how long one readiness result is reused: a load
// balancer polling /readyz many times a second costs at most one tiny
// write a second.
const readyProbeTTL = time.Second

// readiness answers /readyz. A database that answers reads but refuses
// writes (SQLite on a full disk) cannot run upgrades, so besides a ping
// the check rewrites one row of the meta table; concurrent checks share
// one probe.
type readiness struct {
	st    store.Store
	owner string
	now   func() time.Time

	mu      sync.Mutex
	checked time.Time
	err     error
}

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if !r.checked.IsZero() && now.Sub(r.checked) < readyProbeTTL {
		return r.err
	}
	r.err = r.st.Ping(ctx)
	if r.err == nil {
		if err := r.st.MetaSet(ctx, store.MetaWriteProbe, r.owner+" "+now.UTC().Format(time.RFC3339Nano)); err != nil {
			r.err = fmt.Errorf("the database refuses writes: %w", err)
		}
	}
	r.checked = now
	return r.err
}
