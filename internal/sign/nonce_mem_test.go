package sign

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkNonceMemory measures what a remembered nonce costs: it records
// 1,000,000 distinct nonces of SDK length (32 hex digits) within one window
// and reports the heap growth per entry (B/entry), then moves the clock two
// windows on and reports the entries left (entries-after-2-windows, 0: the
// memory is bounded by the window, not by the run's length).
func BenchmarkNonceMemory(b *testing.B) {
	const n = 1_000_000
	nonces := make([]string, n)
	for i := range nonces {
		nonces[i] = strconv.FormatUint(uint64(i)*0x9e3779b97f4a7c15|1<<63, 16)[:16] + strconv.FormatUint(uint64(i)|1<<63, 16)[:16]
	}
	ctx := context.Background()
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := NewMemoryNonces(2 * DefaultWindow)
		for i, nonce := range nonces {
			// Spread over ten minutes: every nonce is still in its window.
			at := specDate.Add(time.Duration(i) * (10 * time.Minute / n))
			if err := m.Use(ctx, testKeyID, nonce, at); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := m.Len(); got != n {
			b.Fatalf("remembered %d nonces, want %d", got, n)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/entry")
		// A use two windows later drops every generation before it.
		_ = m.Use(ctx, testKeyID, "later", specDate.Add(4*DefaultWindow+10*time.Minute))
		b.ReportMetric(float64(m.Len()-1), "entries-after-2-windows")
		runtime.KeepAlive(m)
	}
}
