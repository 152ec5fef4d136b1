package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ackup/ackup/internal/api"
)

// keyLimiter bounds each AccessKey's request rate (Throttling.User). Keys
// are registered credentials, so the map is bounded by their number.
type keyLimiter struct {
	limit rate.Limit
	burst int
	keys  sync.Map // access key id -> *rate.Limiter
}

// newKeyLimiter returns nil (no limit) when perSecond is not positive.
func newKeyLimiter(perSecond float64) *keyLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &keyLimiter{limit: rate.Limit(perSecond), burst: max(1, int(perSecond))}
}

// allow returns a Throttling.User error when the key is over its rate.
func (l *keyLimiter) allow(keyID string, now time.Time) error {
	if l == nil {
		return nil
	}
	v, ok := l.keys.Load(keyID)
	if !ok {
		v, _ = l.keys.LoadOrStore(keyID, rate.NewLimiter(l.limit, l.burst))
	}
	r := v.(*rate.Limiter).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return &api.AuthError{Code: "Throttling.User", Message: "Request was denied due to user flow control.", RetryAfter: max(d, time.Millisecond)}
	}
	return nil
}
