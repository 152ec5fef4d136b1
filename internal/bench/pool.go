package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

// Credentials are what requests are signed with.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	// SignatureAlgorithm is the SDK's setting: "" for its default
	// ACS3-HMAC-SHA256, "ACS3-HMAC-SM3", or "v2" for the legacy ROA
	// HMAC-SHA1.
	SignatureAlgorithm string
}

// newClient returns the official SDK client for endpoint (host:port, plain
// HTTP). A non-nil hc replaces the SDK's HTTP client.
func newClient(endpoint string, cred Credentials, hc dara.HttpClient) (*cs.Client, error) {
	cfg := &openapiutil.Config{AccessKeyId: dara.String(cred.AccessKeyID), AccessKeySecret: dara.String(cred.AccessKeySecret),
		Endpoint: dara.String(endpoint), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou"), HttpClient: hc}
	if cred.SignatureAlgorithm != "" {
		cfg.SignatureAlgorithm = dara.String(cred.SignatureAlgorithm)
	}
	c, err := cs.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("new SDK client: %w", err)
	}
	return c, nil
}

// capture is a dara.HttpClient that keeps the request the SDK built and
// signed instead of sending it, and answers an empty status.
type capture struct{ req *http.Request }

func (c *capture) Call(r *http.Request, _ *http.Transport) (*http.Response, error) {
	c.req = r
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{}`))}, nil
}

// varyingHeaders are the headers that differ between two signed requests
// for the same resource (lower case): the date, the nonce and the
// signature. Every other header is checked to be the same in all of them.
var varyingHeaders = []string{"x-acs-date", "date", "x-acs-signature-nonce", "authorization"}

// Pool is a set of GetUpgradeStatus requests signed beforehand by the SDK,
// each with its own nonce and date, stored compactly: the headers all of
// them share once, and per request only the values that differ (about 150
// bytes). Request rebuilds the request the SDK would have sent.
type Pool struct {
	host     string
	urls     []*url.URL  // per cluster
	shared   http.Header // identical in every request, as the SDK spells the keys
	varying  []string    // keys of the varying headers present, as the SDK spells them
	authKey  string      // the key of the Authorization header among varying
	authHead string      // the part of Authorization every request shares
	reqs     []signedReq
	// SignedAt is when signing began: the oldest request's date.
	SignedAt time.Time
	// SignTime is how long signing took.
	SignTime time.Duration
}

// signedReq is one request: which cluster, and the varying values joined
// in the order of Pool.varying (the shared head of Authorization left out).
type signedReq struct {
	cluster int32
	lens    [4]uint8
	vals    string
}

// Len returns the number of signed requests.
func (p *Pool) Len() int { return len(p.reqs) }

// maxVarying bounds Pool.varying; see varyingHeaders.
const maxVarying = 4

// NewPool signs n GetUpgradeStatus requests for endpoint, reading the
// clusters in turn, on GOMAXPROCS goroutines.
func NewPool(ctx context.Context, endpoint string, cred Credentials, clusterIDs []string, n int) (*Pool, error) {
	if len(clusterIDs) == 0 {
		return nil, errors.New("bench: no clusters to read")
	}
	p := &Pool{host: endpoint, reqs: make([]signedReq, n), SignedAt: time.Now()}
	for _, id := range clusterIDs {
		u, err := url.Parse("http://" + endpoint + "/api/v2/clusters/" + url.PathEscape(id) + "/upgrade/status")
		if err != nil {
			return nil, fmt.Errorf("bench: cluster %q: %w", id, err)
		}
		p.urls = append(p.urls, u)
	}
	// The first request sets the template the others are checked against.
	first, err := newPoolSigner(endpoint, cred)
	if err != nil {
		return nil, err
	}
	tmpl, err := first.sign(clusterIDs[0])
	if err != nil {
		return nil, err
	}
	if err := p.setTemplate(tmpl); err != nil {
		return nil, err
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			s := first
			if w > 0 {
				if s, errs[w] = newPoolSigner(endpoint, cred); errs[w] != nil {
					return
				}
			}
			for i := w; i < n; i += workers {
				if i%1024 == w && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				c := i % len(clusterIDs)
				r, err := s.sign(clusterIDs[c])
				if err == nil {
					p.reqs[i], err = p.compact(int32(c), r)
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	p.SignTime = time.Since(p.SignedAt)
	return p, errors.Join(errs...)
}

// poolSigner signs with the SDK through a capture.
type poolSigner struct {
	client *cs.Client
	capt   *capture
	rt     *dara.RuntimeOptions
}

func newPoolSigner(endpoint string, cred Credentials) (*poolSigner, error) {
	capt := &capture{}
	c, err := newClient(endpoint, cred, capt)
	if err != nil {
		return nil, err
	}
	return &poolSigner{client: c, capt: capt, rt: &dara.RuntimeOptions{}}, nil
}

func (s *poolSigner) sign(clusterID string) (*http.Request, error) {
	s.capt.req = nil
	if _, err := s.client.GetUpgradeStatusWithOptions(dara.String(clusterID), nil, s.rt); err != nil {
		return nil, fmt.Errorf("bench: sign GetUpgradeStatus: %w", err)
	}
	if s.capt.req == nil {
		return nil, errors.New("bench: the SDK sent no request")
	}
	return s.capt.req, nil
}

// setTemplate takes the shared headers and the varying keys from r.
func (p *Pool) setTemplate(r *http.Request) error {
	p.shared = http.Header{}
	for k, v := range r.Header {
		if isVarying(k) {
			p.varying = append(p.varying, k)
			continue
		}
		p.shared[k] = v
	}
	for _, k := range p.varying {
		if strings.EqualFold(k, "authorization") {
			p.authKey = k
			auth := r.Header[k][0]
			// Everything up to the signature itself: "...,Signature=" for
			// ACS3, "acs <id>:" for the legacy scheme.
			if i := strings.Index(auth, "Signature="); i >= 0 {
				p.authHead = auth[:i+len("Signature=")]
			} else {
				p.authHead = auth[:strings.Index(auth, ":")+1]
			}
		}
	}
	if p.authKey == "" || len(p.varying) > maxVarying {
		return fmt.Errorf("bench: the SDK's request has no Authorization or too many varying headers: %v", p.varying)
	}
	return nil
}

func isVarying(key string) bool {
	for _, v := range varyingHeaders {
		if strings.EqualFold(key, v) {
			return true
		}
	}
	return false
}

// compact keeps what differs in r, after checking that nothing else does.
func (p *Pool) compact(cluster int32, r *http.Request) (signedReq, error) {
	if len(r.Header) != len(p.shared)+len(p.varying) {
		return signedReq{}, fmt.Errorf("bench: the SDK signed a request with other headers than the first: %v", r.Header)
	}
	for k, v := range p.shared {
		got := r.Header[k]
		if len(got) != len(v) || (len(v) > 0 && got[0] != v[0]) {
			return signedReq{}, fmt.Errorf("bench: header %s changed between signed requests: %q, then %q", k, v, got)
		}
	}
	e := signedReq{cluster: cluster}
	var b strings.Builder
	for i, k := range p.varying {
		var v string
		if vs := r.Header[k]; len(vs) == 1 {
			v = vs[0]
		} else {
			return signedReq{}, fmt.Errorf("bench: the SDK sent %d values of %s", len(vs), k)
		}
		if k == p.authKey {
			if !strings.HasPrefix(v, p.authHead) {
				return signedReq{}, fmt.Errorf("bench: Authorization %q does not start with %q", v, p.authHead)
			}
			v = v[len(p.authHead):]
		}
		if len(v) > 255 {
			return signedReq{}, fmt.Errorf("bench: header %s too long: %q", k, v)
		}
		e.lens[i] = uint8(len(v))
		b.WriteString(v)
	}
	e.vals = b.String()
	return e, nil
}

// Request rebuilds the i-th signed request with ctx.
func (p *Pool) Request(ctx context.Context, i int) *http.Request {
	e := &p.reqs[i]
	h := make(http.Header, len(p.shared)+len(p.varying))
	for k, v := range p.shared {
		h[k] = v // shared slices: nothing on the client's path modifies request headers
	}
	vals := new([maxVarying]string)
	off := 0
	for j, k := range p.varying {
		v := e.vals[off : off+int(e.lens[j])]
		off += int(e.lens[j])
		if k == p.authKey {
			v = p.authHead + v
		}
		vals[j] = v
		h[k] = vals[j : j+1 : j+1]
	}
	r := (&http.Request{Method: http.MethodGet, URL: p.urls[e.cluster], Host: p.host, Header: h,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(ctx)
	return r
}

// Retarget returns a pool of the same requests sent to another host:port
// (the bare handler); the requests themselves are shared.
func (p *Pool) Retarget(endpoint string) *Pool {
	q := *p
	q.host, q.urls = endpoint, make([]*url.URL, len(p.urls))
	for i, u := range p.urls {
		v := *u
		v.Host = endpoint
		q.urls[i] = &v
	}
	return &q
}
