package sign

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// TestACS3Escaping signs awkward paths and queries with the naive signer
// (the SDK's rules, written independently) and with the SDK itself, and
// checks that the server agrees.
func TestACS3Escaping(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, query string }{
		{"/clusters/chk%2F1%20x", ""},
		{"/a%7Eb/c~d", ""},
		{"/a*b+c", ""},
		{"", ""},
		{"/api/v1/clusters", "name=my+cluster%2A~%2Fx&page_size=10"},
		{"/q", "b=2&B=1&_=3&a.b=4"},
		{"/q", "k%2Bey%2A=v%2B&k%7Ex=%7E"},
		{"/q", "emoji=%F0%9F%98%80&latin1=%E9"},
		{"/q", "empty=&flag&x=1"},
		{"/q", "sp=a%20b+c&pct=100%25&amp=%26%3D"},
	}
	for _, alg := range []string{nameACS3SHA256, nameACS3SM3} {
		for _, tt := range tests {
			r := newACS3Request("GET", tt.path, tt.query, "", specDate)
			signACS3(t, r, alg, testKeyID, testSecret)
			if got, want := r.Header.Get("Authorization"), sdkAuthorization(r, alg); got != want {
				t.Fatalf("%s %s?%s: naive signer and SDK disagree:\n%s\n%s", alg, tt.path, tt.query, got, want)
			}
			if _, err := newTestVerifier(specDate).Verify(context.Background(), r); err != nil {
				c, _ := naiveCanonicalACS3(t, r, naiveSum(alg, nil))
				t.Errorf("%s %s?%s: %v\nclient canonical %q", alg, tt.path, tt.query, err, c)
			}
		}
	}
}

// TestACS3SM3 computes an SM3 signature by hand from a canonical request.
func TestACS3SM3(t *testing.T) {
	t.Parallel()
	body := `{"next_version":"1.31.1-aliyun.1"}`
	r := newACS3Request("POST", "/api/v2/clusters/c1/upgrade", "", body, specDate)
	payload := sm3.Sum([]byte(body))
	r.Header.Set("x-acs-content-sha256", hex.EncodeToString(payload[:]))
	const signed = "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce"
	canonical := "POST\n/api/v2/clusters/c1/upgrade\n\n" +
		"content-type:application/json; charset=utf-8\nhost:cs.cn-hangzhou.aliyuncs.com\n" +
		"x-acs-action:DescribeClusterTasks\nx-acs-content-sha256:" + hex.EncodeToString(payload[:]) + "\n" +
		"x-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:" + testNonce + "\n\n" +
		signed + "\n" + hex.EncodeToString(payload[:])
	digest := sm3.Sum([]byte(canonical))
	sts := "ACS3-HMAC-SM3\n" + hex.EncodeToString(digest[:])
	mac := hmac.New(sm3.New, []byte(testSecret))
	mac.Write([]byte(sts))
	r.Header.Set("Authorization", "ACS3-HMAC-SM3 Credential="+testKeyID+",SignedHeaders="+signed+",Signature="+hex.EncodeToString(mac.Sum(nil)))

	gotCanonical, gotSTS, err := canonicalACS3(r)
	if err != nil || gotCanonical != canonical || gotSTS != sts {
		t.Fatalf("canonicalACS3 = %q, %q, %v\nwant %q, %q", gotCanonical, gotSTS, err, canonical, sts)
	}
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	// The SDK puts the SM3 digest in x-acs-content-sha256; a SHA-256 there
	// does not match the body under SM3.
	r.Header.Set("x-acs-content-sha256", naiveSum(nameACS3SHA256, r.Body))
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); codeOf(err) != CodeMismatch {
		t.Fatalf("SHA-256 payload hash under SM3: %v, want %s", err, CodeMismatch)
	}
}

// TestACS3SignedHeadersFromAuthorization: the server signs exactly what
// the client listed, in the client's order, whatever else is sent.
func TestACS3SignedHeadersFromAuthorization(t *testing.T) {
	t.Parallel()
	v := vector(t, "V1")
	r := parseWire(t, v.wire, v.body)
	r.Header.Set("x-acs-unsigned-extra", "ignored")
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); err != nil {
		t.Fatalf("unsigned extra x-acs header: %v", err)
	}
	// Dropping a header from SignedHeaders changes the canonical request.
	r.Header.Set("Authorization", strings.Replace(v.authorization, "x-acs-credentials-provider;", "", 1))
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); codeOf(err) != CodeMismatch {
		t.Fatalf("shortened SignedHeaders: %v, want %s", err, CodeMismatch)
	}
	// The date and the nonce must be among the signed headers.
	for _, h := range []string{"x-acs-date;", "x-acs-signature-nonce;"} {
		r.Header.Set("Authorization", strings.Replace(v.authorization, h, "", 1))
		if _, err := newTestVerifier(specDate).Verify(context.Background(), r); codeOf(err) != CodeIncomplete {
			t.Errorf("%s not signed: %v, want %s", h, err, CodeIncomplete)
		}
	}
}

// TestACS3RepeatedHeader: the values of a repeated signed header are
// trimmed, sorted and joined with ',' as the SDK does.
func TestACS3RepeatedHeader(t *testing.T) {
	t.Parallel()
	r := newACS3Request("GET", "/clusters", "", "", specDate)
	r.Header["X-Acs-Multi"] = []string{" b", "a "}
	r.Header.Set("x-acs-content-sha256", naiveSum(nameACS3SHA256, nil))
	const signed = "host;x-acs-content-sha256;x-acs-date;x-acs-multi;x-acs-signature-nonce"
	r.Header.Set("Authorization", nameACS3SHA256+" Credential=k,SignedHeaders="+signed+",Signature="+strings.Repeat("0", 64))
	canonical, _, err := canonicalACS3(r)
	if err != nil || !strings.Contains(canonical, "\nx-acs-multi:a,b\n") {
		t.Fatalf("canonical = %q, %v", canonical, err)
	}
}

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	sig := strings.Repeat("ab", 32)
	tests := []struct {
		in     string
		alg    algorithm
		id     string
		signed string
	}{
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-date,Signature=" + sig, algACS3SHA256, "id", "host;x-acs-date"},
		{"ACS3-HMAC-SM3 Signature=" + sig + ", SignedHeaders=host, Credential=id", algACS3SM3, "id", "host"},
		{"ACS3-HMAC-SHA256  Credential=id,SignedHeaders=host,Signature=" + strings.ToUpper(sig), algACS3SHA256, "id", "host"},
		{"acs LTAI5t:jJupkHIFs3OkC3ya69t1fkvwYE4=", algROA, "LTAI5t", ""},
		{"ACS LTAI5t:jJupkHIFs3OkC3ya69t1fkvwYE4=", algROA, "LTAI5t", ""},
		{"", 0, "", ""},
		{"ACS3-HMAC-SHA256", 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host", 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=" + sig + ",Signature=" + sig, 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=" + sig, 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;;date,Signature=" + sig, 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=ho st,Signature=" + sig, 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=" + sig[:62], 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=" + sig[:62] + "zz", 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=" + sig + ",Extra=1", 0, "", ""},
		{"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=" + strings.Repeat("h;", maxSignedHeaders) + "h,Signature=" + sig, 0, "", ""},
		{"ACS3-RSA-SHA256 Credential=id,SignedHeaders=host,Signature=" + sig, 0, "", ""},
		{"Bearer abc", 0, "", ""},
		{"acs id", 0, "", ""},
		{"acs :jJupkHIFs3OkC3ya69t1fkvwYE4=", 0, "", ""},
		{"acs id:jJupkHIFs3OkC3ya69t1fkvwYE4", 0, "", ""},
		{"acs id:jJupkHIFs3OkC3ya69t1fkvwYE4=x", 0, "", ""},
	}
	for _, tt := range tests {
		a, err := parseAuthorization(tt.in)
		if tt.alg == 0 {
			if err == nil || err.Code != CodeIncomplete {
				t.Errorf("parseAuthorization(%q) = %+v, %v; want %s", tt.in, a, err, CodeIncomplete)
			}
			continue
		}
		if err != nil || a.alg != tt.alg || a.keyID != tt.id || a.signedHeaders != tt.signed {
			t.Errorf("parseAuthorization(%q) = %+v, %v", tt.in, a, err)
		}
	}
}

func TestACS3TooManyQueryParams(t *testing.T) {
	t.Parallel()
	r := newACS3Request("GET", "/q", strings.Repeat("a=1&", maxQueryParams+1), "", specDate)
	r.Header.Set("x-acs-content-sha256", naiveSum(nameACS3SHA256, nil))
	r.Header.Set("Authorization", nameACS3SHA256+" Credential=k,SignedHeaders=host;x-acs-date;x-acs-signature-nonce,Signature="+strings.Repeat("0", 64))
	if _, _, err := canonicalACS3(r); codeOf(err) != CodeIncomplete {
		t.Fatalf("canonicalACS3 = %v, want %s", err, CodeIncomplete)
	}
}
