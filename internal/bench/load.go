package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is what one measured load achieved.
type Stats struct {
	// Name says what was measured ("ackup", "bare", "ackup (fleet window 1)").
	Name string `json:"name"`
	// Requests is the number of responses received; OK those with status 200.
	Requests int `json:"requests"`
	OK       int `json:"ok"`
	// Errors counts requests that got no response (connection errors);
	// Status counts the responses by HTTP status.
	Errors int         `json:"errors"`
	Status map[int]int `json:"status"`
	// Elapsed is from the start until the last request in flight at the
	// deadline returned.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Throughput is Requests per second of Elapsed.
	Throughput float64 `json:"throughput"`
	// Latency percentiles over every request (exact, nearest rank).
	P50  time.Duration `json:"p50_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Max  time.Duration `json:"max_ns"`
	// Exhausted is true when the pre-signed requests ran out before the
	// duration did (the run is then shorter than asked).
	Exhausted bool `json:"exhausted,omitempty"`
}

// newTransport is a keep-alive transport for concurrency connections to
// one host, without compression, proxies or HTTP/2.
func newTransport(concurrency int) *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          concurrency,
		MaxIdleConnsPerHost:   concurrency,
		MaxConnsPerHost:       concurrency,
		IdleConnTimeout:       2 * time.Minute,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
	}
}

// load is one measured replay.
type load struct {
	name        string
	rt          http.RoundTripper
	concurrency int
	duration    time.Duration
	// next returns the i-th request to send, false when there is none.
	next func(ctx context.Context, i int) (*http.Request, bool)
}

// worker is one connection's loop and what it saw.
type worker struct {
	lat    []int64 // nanoseconds
	status map[int]int
	errs   int
}

// run replays requests at l.concurrency until l.duration has passed or
// next runs out, and measures every response.
func (l *load) run(ctx context.Context) Stats {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		idx       atomic.Int64
		exhausted atomic.Bool
		wg        sync.WaitGroup
	)
	workers := make([]*worker, l.concurrency)
	start := time.Now()
	deadline := start.Add(l.duration)
	for w := range workers {
		wk := &worker{status: map[int]int{}, lat: make([]int64, 0, 4096)}
		workers[w] = wk
		wg.Go(func() {
			for ctx.Err() == nil {
				r, ok := l.next(ctx, int(idx.Add(1)-1))
				if !ok {
					exhausted.Store(true)
					return
				}
				t0 := time.Now()
				resp, err := l.rt.RoundTrip(r)
				if err != nil {
					wk.errs++
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					t1 := time.Now()
					wk.lat = append(wk.lat, int64(t1.Sub(t0)))
					wk.status[resp.StatusCode]++
					if t1.After(deadline) {
						return
					}
				}
				if time.Now().After(deadline) {
					return
				}
			}
		})
	}
	wg.Wait()
	st := Stats{Name: l.name, Elapsed: time.Since(start), Status: map[int]int{}, Exhausted: exhausted.Load()}
	var all []int64
	for _, wk := range workers {
		all = append(all, wk.lat...)
		st.Errors += wk.errs
		for code, n := range wk.status {
			st.Status[code] += n
		}
	}
	st.Requests = len(all)
	st.OK = st.Status[http.StatusOK]
	st.Throughput = float64(st.Requests) / st.Elapsed.Seconds()
	slices.Sort(all)
	st.P50, st.P99, st.P999 = percentile(all, 0.50), percentile(all, 0.99), percentile(all, 0.999)
	if len(all) > 0 {
		st.Max = time.Duration(all[len(all)-1])
	}
	return st
}

// percentile returns the nearest-rank q-quantile of sorted: the smallest
// value at least q of the samples do not exceed.
func percentile(sorted []int64, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(q*float64(len(sorted)) + 0.999999999)
	return time.Duration(sorted[min(max(rank, 1), len(sorted))-1])
}
