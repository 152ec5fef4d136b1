package e2e

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

// capture is a dara.HttpClient that records the request the SDK would send
// and answers 200 {} without sending it.
type capture struct {
	req  *http.Request
	body []byte
}

func (c *capture) Call(r *http.Request, _ *http.Transport) (*http.Response, error) {
	c.req = r
	if r.Body != nil {
		c.body, _ = io.ReadAll(r.Body)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader([]byte("{}")))}, nil
}

// signed returns a request exactly as the SDK signs it for call, ready to
// send to the server with net/http, for what the SDK cannot do itself
// (no Accept header, a replay of the same bytes).
func (e *env) signed(t *testing.T, call func(c *cs.Client)) *http.Request {
	t.Helper()
	cp := &capture{}
	c, err := cs.NewClient(&openapiutil.Config{AccessKeyId: dara.String(testKeyID), AccessKeySecret: dara.String(testKeySecret),
		Endpoint: dara.String(e.addr), Protocol: dara.String("http"), HttpClient: cp})
	if err != nil {
		t.Fatal(err)
	}
	call(c)
	if cp.req == nil {
		t.Fatal("the SDK sent no request")
	}
	req, err := http.NewRequest(cp.req.Method, cp.req.URL.String(), bytes.NewReader(cp.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = cp.req.Header.Clone()
	req.Host = cp.req.Host
	return req
}

// do sends a raw request and returns status, headers and body.
func do(t *testing.T, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}
