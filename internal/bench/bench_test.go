package bench

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// does not measure a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

// benchServer starts an in-process server with upgraded clusters.
func benchServer(b *testing.B, clusters int) (*LocalServer, []string) {
	b.Helper()
	ctx := context.Background()
	srv, err := StartServer(ctx, "", 1e6, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	s := Setup{Endpoint: srv.Addr(), Credentials: srv.Credentials, Clusters: clusters, Nodes: 3}
	ids, err := CreateClusters(ctx, s)
	if err == nil {
		err = WaitRunning(ctx, s, ids)
	}
	if err == nil {
		err = StartUpgrades(ctx, s, ids)
	}
	if err != nil {
		b.Fatal(err)
	}
	return srv, ids
}

// serverRequests signs n requests with the SDK and parses them back as
// net/http's server does, so the handler sees exactly what it sees behind
// a listener.
func serverRequests(b *testing.B, srv *LocalServer, ids []string, n int) []*http.Request {
	b.Helper()
	ctx := context.Background()
	pool, err := NewPool(ctx, srv.Addr(), srv.Credentials, ids, n)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]*http.Request, n)
	var wire bytes.Buffer
	for i := range out {
		wire.Reset()
		if err := pool.Request(ctx, i).Write(&wire); err != nil {
			b.Fatal(err)
		}
		r, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			b.Fatal(err)
		}
		r.RemoteAddr = "127.0.0.1:40000"
		r.RequestURI = r.URL.RequestURI()
		out[i] = r
	}
	return out
}

// BenchmarkServerGetUpgradeStatus is the whole handler as assembled by
// server.Open: ACS3-HMAC-SHA256 verification of an SDK-signed request with
// a fresh nonce, the SQLite read, the JSON body, metrics and the access log
// middleware (the logger discards). Only the network is left out.
func BenchmarkServerGetUpgradeStatus(b *testing.B) {
	srv, ids := benchServer(b, 16)
	const chunk = 20_000
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		reqs := serverRequests(b, srv, ids, min(chunk, b.N-done))
		b.StartTimer()
		for _, r := range reqs {
			clear(w.h)
			srv.Handler.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		}
		done += len(reqs)
	}
}

// BenchmarkPoolRequest is the load generator's cost of rebuilding one
// pre-signed request.
func BenchmarkPoolRequest(b *testing.B) {
	srv, ids := benchServer(b, 1)
	pool, err := NewPool(context.Background(), srv.Addr(), srv.Credentials, ids, 1024)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = pool.Request(ctx, i%1024)
		i++
	}
}

var _ = io.Discard
