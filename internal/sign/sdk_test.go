package sign

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

// The official SDK as a test oracle: requests signed by the real
// cs-20151215/v7 client, sent through a fake dara.HttpClient that puts them
// on the wire and parses them back as a server would, must verify.

// wireClient is a dara.HttpClient that serialises each request, parses it
// back with net/http's server-side parser and answers 200 {}.
type wireClient struct{ got []*Request }

func (c *wireClient) Call(r *http.Request, _ *http.Transport) (*http.Response, error) {
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		return nil, err
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		return nil, err
	}
	c.got = append(c.got, fromHTTP(sr, body))
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader("{}")),
	}, nil
}

func newSDKClient(t *testing.T, algorithm string) (*cs.Client, *wireClient) {
	t.Helper()
	wc := &wireClient{}
	cfg := &openapiutil.Config{
		AccessKeyId:     dara.String(testKeyID),
		AccessKeySecret: dara.String(testSecret),
		Endpoint:        dara.String("127.0.0.1:8080"),
		Protocol:        dara.String("http"),
		HttpClient:      wc,
	}
	if algorithm != "" {
		cfg.SignatureAlgorithm = dara.String(algorithm)
	}
	c, err := cs.NewClient(cfg)
	if err != nil {
		t.Fatalf("new SDK client: %v", err)
	}
	return c, wc
}

func TestSDKSignedRequestsVerify(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"", nameACS3SM3, "v2"} {
		t.Run("algorithm="+alg, func(t *testing.T) {
			t.Parallel()
			c, wc := newSDKClient(t, alg)
			rt := &dara.RuntimeOptions{}
			if _, err := c.UpgradeClusterWithOptions(dara.String("c82e6987e2961451182edacd74faf1234"), &cs.UpgradeClusterRequest{
				NextVersion: dara.String("1.31.1-aliyun.1"), MasterOnly: dara.Bool(true),
			}, nil, rt); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DescribeClustersV1WithOptions(&cs.DescribeClustersV1Request{
				Name: dara.String("my cluster*~/x+ü"), RegionId: dara.String("cn-hangzhou"), PageSize: dara.Int64(10),
			}, nil, rt); err != nil {
				t.Fatal(err)
			}
			if _, err := c.PauseTaskWithOptions(dara.String("T-5faa48fb31b6b8078d000006/x y"), nil, rt); err != nil {
				t.Fatal(err)
			}
			if len(wc.got) != 3 {
				t.Fatalf("captured %d requests, want 3", len(wc.got))
			}
			vf := &Verifier{Keys: newTestKeys(), Nonces: NewMemoryNonces(2 * DefaultWindow)}
			for _, r := range wc.got {
				auth := r.Header.Get("Authorization")
				if want := map[string]string{"": "ACS3-HMAC-SHA256 ", nameACS3SM3: "ACS3-HMAC-SM3 ", "v2": "acs "}[alg]; !strings.HasPrefix(auth, want) {
					t.Fatalf("SDK sent Authorization %q, want prefix %q", auth, want)
				}
				if id, err := vf.Verify(context.Background(), r); err != nil || id != testKeyID {
					t.Errorf("%s %s?%s: Verify = %q, %v", r.Method, r.RawPath, r.RawQuery, id, err)
				}
			}
		})
	}
}

// TestSDKGetAuthorizationSM3 checks the SM3 canonical request against the
// SDK's own GetAuthorization, given the same request.
func TestSDKGetAuthorizationSM3(t *testing.T) {
	t.Parallel()
	r := newACS3Request("POST", "/api/v2/clusters/c1/upgrade", "a=1&b=x+y", `{"next_version":"1.31.1-aliyun.1"}`, specDate)
	signACS3(t, r, nameACS3SM3, testKeyID, testSecret)
	want := sdkAuthorization(r, nameACS3SM3)
	if got := r.Header.Get("Authorization"); got != want {
		t.Fatalf("test signer Authorization\n got %s\nwant %s (SDK)", got, want)
	}
	canonical, sts, err := canonicalACS3(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sts, "ACS3-HMAC-SM3\n") || !strings.HasSuffix(canonical, "\n"+naiveSum(nameACS3SM3, r.Body)) {
		t.Errorf("SM3 string to sign %q / canonical %q", sts, canonical)
	}
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// sdkAuthorization is the Authorization the SDK computes for r: every
// x-acs-*, host and content-type header signed, as DoRequest passes them.
func sdkAuthorization(r *Request, alg string) string {
	headers := map[string]*string{"host": dara.String(r.Host)}
	for k, v := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-acs-") || lk == "content-type" {
			headers[lk] = dara.String(v[0])
		}
	}
	query := map[string]*string{}
	for k, v := range mustParseQuery(r.RawQuery) {
		query[k] = dara.String(v[0])
	}
	req := &dara.Request{Method: dara.String(r.Method), Pathname: dara.String(r.RawPath), Headers: headers, Query: query}
	return dara.StringValue(openapiutil.GetAuthorization(req, dara.String(alg),
		dara.String(r.Header.Get("x-acs-content-sha256")), dara.String(testKeyID), dara.String(testSecret)))
}

// sdkROAStringToSign is the darabonba v2 legacy string to sign for r.
func sdkROAStringToSign(r *Request) string {
	headers := map[string]*string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = dara.String(v[0])
	}
	query := map[string]*string{}
	for k, v := range mustParseQuery(r.RawQuery) {
		query[k] = dara.String(v[0])
	}
	req := &dara.Request{Method: dara.String(r.Method), Pathname: dara.String(r.RawPath), Headers: headers, Query: query}
	return dara.StringValue(openapiutil.GetStringToSign(req))
}
