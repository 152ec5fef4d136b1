package bench

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	for _, c := range []struct {
		sorted []int64
		q      float64
		want   time.Duration
	}{
		{nil, 0.5, 0},
		{[]int64{7}, 0.999, 7},
		{hundred, 0.50, 50},
		{hundred, 0.99, 99},
		{hundred, 0.999, 100},
		{hundred, 1, 100},
		{[]int64{1, 2, 3}, 0.5, 2},
	} {
		if got := percentile(c.sorted, c.q); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.sorted, c.q, got, c.want)
		}
	}
}

// TestPoolRebuildsTheSDKRequest checks that a request rebuilt from the
// pool's compact form carries exactly the headers the SDK signed.
func TestPoolRebuildsTheSDKRequest(t *testing.T) {
	t.Parallel()
	cred := Credentials{AccessKeyID: "LTAIpooltest", AccessKeySecret: "pool-secret"}
	for _, alg := range []string{"", "ACS3-HMAC-SM3", "v2"} {
		cred.SignatureAlgorithm = alg
		s, err := newPoolSigner("127.0.0.1:1", cred)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.sign("c-1")
		if err != nil {
			t.Fatal(err)
		}
		p := &Pool{host: "127.0.0.1:1"}
		if err := p.setTemplate(want); err != nil {
			t.Fatalf("algorithm %q: %v", alg, err)
		}
		p.urls = []*url.URL{want.URL}
		e, err := p.compact(0, want)
		if err != nil {
			t.Fatalf("algorithm %q: %v", alg, err)
		}
		p.reqs = []signedReq{e}
		got := p.Request(context.Background(), 0)
		if len(got.Header) != len(want.Header) {
			t.Errorf("algorithm %q: %d headers, the SDK sent %d", alg, len(got.Header), len(want.Header))
		}
		for k, v := range want.Header {
			if g := got.Header[k]; len(g) != 1 || g[0] != v[0] {
				t.Errorf("algorithm %q: header %s = %q, the SDK sent %q", alg, k, g, v)
			}
		}
	}
}

// TestRunAgainstALocalServer is a short, small load on loopback: it checks
// that every request is accepted (fresh nonces, valid signatures) and that
// the bare handler answers the same bytes.
func TestRunAgainstALocalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and runs two short loads")
	}
	ctx := context.Background()
	srv, err := StartServer(ctx, "", 1e5, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := Setup{Endpoint: srv.Addr(), Credentials: srv.Credentials, Clusters: 2, Nodes: 1}
	ids, err := CreateClusters(ctx, s)
	if err == nil {
		err = WaitRunning(ctx, s, ids)
	}
	if err == nil {
		err = StartUpgrades(ctx, s, ids)
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, Config{Endpoint: srv.Addr(), Credentials: srv.Credentials, ClusterIDs: ids, Concurrency: 4,
		Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond, Bare: true, Rounds: 2, MaxRequests: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rounds) != 2 || res.Bare == nil {
		t.Fatalf("%d rounds, bare %v", len(res.Rounds), res.Bare)
	}
	for _, rd := range res.Rounds {
		for _, st := range []Stats{*rd.Bare, rd.Ackup} {
			if st.OK == 0 || st.OK != st.Requests || st.Errors != 0 {
				t.Errorf("%s: %d requests, %d OK, %d errors, statuses %v", st.Name, st.Requests, st.OK, st.Errors, st.Status)
			}
			if !(st.P50 <= st.P99 && st.P99 <= st.P999 && st.P999 <= st.Max) {
				t.Errorf("%s: percentiles out of order: %v %v %v %v", st.Name, st.P50, st.P99, st.P999, st.Max)
			}
		}
	}
	if res.Ratio <= 0 {
		t.Errorf("ratio %v", res.Ratio)
	}
	if !strings.Contains(res.Response.Body, `"upgrade_step"`) || res.Response.Header.Get("Content-Type") == "" {
		t.Errorf("captured response %q %v", res.Response.Body, res.Response.Header)
	}
	// A replayed request is refused: the nonce store is on.
	pool, err := NewPool(ctx, srv.Addr(), srv.Credentials, ids, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	for i, want := range []int{http.StatusOK, http.StatusBadRequest} {
		resp, err := tr.RoundTrip(pool.Request(ctx, 0))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("send %d of the same signed request: %s, want %d", i+1, resp.Status, want)
		}
	}
}

// TestRunFleetSmall runs a tiny fleet fast: every upgrade must succeed and
// the report must be filled in.
func TestRunFleetSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a small fleet")
	}
	res, err := RunFleet(context.Background(), FleetConfig{Clusters: 3, Nodes: 1, SimSpeed: 2000, Concurrency: 4,
		Windows: 1, Window: 100 * time.Millisecond, SetupConcurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 3 || res.Failed != 0 {
		t.Errorf("%d succeeded, %d failed", res.Succeeded, res.Failed)
	}
	if res.Passes == 0 || res.Elapsed < res.Ideal || res.PeakRSS == 0 || res.Bare.OK == 0 || res.Idle.OK == 0 {
		t.Errorf("incomplete result: %+v", res)
	}
}
