package sign

import (
	"context"
	"testing"
)

// legacyHeaders are the headers darabonba's v2 path and tea-roa send.
func legacyHeaders(nonce string) map[string]string {
	h := map[string]string{
		"accept":                     "application/json",
		"date":                       "Mon, 01 Jan 2024 00:00:00 GMT",
		"x-acs-version":              "2015-12-15",
		"x-acs-signature-method":     "HMAC-SHA1",
		"x-acs-signature-version":    "1.0",
		"x-acs-credentials-provider": "static_ak",
	}
	if nonce != "" {
		h["x-acs-signature-nonce"] = nonce
	}
	return h
}

// TestROAClientVariants signs requests the way each legacy client does
// (docs/wire.md, "Legacy ROA") and checks that each verifies, and that the
// resource strings really differ between the variants where they should.
func TestROAClientVariants(t *testing.T) {
	t.Parallel()
	cli := func(body, contentType string) map[string]string {
		h := legacyHeaders("")
		h["content-md5"] = contentMD5(body)
		h["content-type"] = contentType
		h["x-acs-region-id"] = "cn-hangzhou"
		return h
	}
	aligo := func(body string) map[string]string {
		h := legacyHeaders("a1b2c3d4e5f6")
		h["x-acs-region-id"] = "cn-hangzhou"
		if body != "" {
			h["content-md5"] = contentMD5(body)
			h["content-type"] = "application/json"
		}
		return h
	}
	tests := []struct {
		name    string
		variant roaVariant
		method  string
		path    string
		query   string
		body    string
		hdr     map[string]string
	}{
		{"tea-roa empty value as key=", roaTeaROA, "GET", "/clusters/c1/nodepools/np1", "cluster_id=&page_size=10", "", legacyHeaders(testNonce)},
		{"tea-roa POST", roaTeaROA, "POST", "/clusters/c1/nodepools/np1/upgrade", "", `{"kubernetes_version":"1.31.1-aliyun.1"}`, legacyHeaders(testNonce)},
		{"darabonba empty value as key", roaDarabonba, "GET", "/api/v1/clusters", "name=&region_id=cn-hangzhou", "", legacyHeaders(testNonce)},
		{"aliyun-cli GET, ? without query", roaAliyunCLI, "GET", "/clusters/c1/tasks", "", "", cli("", "application/octet-stream")},
		{"aliyun-cli GET with query", roaAliyunCLI, "GET", "/api/v1/clusters", "name=my+cluster&page_size=10", "", cli("", "application/octet-stream")},
		{"aliyun-cli POST json", roaAliyunCLI, "POST", "/api/v2/clusters/c1/upgrade", "", `{"next_version":"1.31.1-aliyun.1"}`, cli(`{"next_version":"1.31.1-aliyun.1"}`, "application/json")},
		{"aligo raw URI", roaAligo, "GET", "/api/v1/clusters", "name=my%20cluster%2A&region_id=cn-hangzhou", "", aligo("")},
		{"aligo raw URI unsorted", roaAligo, "GET", "/api/v1/clusters", "region_id=cn-hangzhou&name=x", "", aligo("")},
		{"aligo POST with Content-MD5", roaAligo, "POST", "/clusters/c1", "", `{"name":"x"}`, aligo(`{"name":"x"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRequest(tt.method, "cs.aliyuncs.com", tt.path, tt.query, tt.body, tt.hdr)
			signROA(t, r, tt.variant, testKeyID, testSecret)
			vf := newTestVerifier(specDate)
			if id, err := vf.Verify(context.Background(), r); err != nil || id != testKeyID {
				t.Fatalf("Verify = %q, %v\nclient string to sign %q\nserver tries %q", id, err,
					naiveROAStringToSign(t, r, tt.variant), roaStringsToSign(r))
			}
			// A different body must fail when Content-MD5 covers it.
			if r.Header.Get("Content-MD5") != "" {
				bad := *r
				bad.Body = append([]byte(nil), "tampered"...)
				if _, err := newTestVerifier(specDate).Verify(context.Background(), &bad); codeOf(err) != CodeMismatch {
					t.Errorf("tampered body: %v, want %s", err, CodeMismatch)
				}
			}
			// A replay is refused when the request has a nonce, or is a
			// write (its exact signature is consumed instead); a read
			// without a nonce (aliyun-cli) is bounded by the date window.
			_, err := vf.Verify(context.Background(), r)
			wantReplay := r.Header.Get("x-acs-signature-nonce") != "" || r.Method != "GET"
			if wantReplay != (codeOf(err) == CodeNonceUsed) {
				t.Errorf("second Verify: %v (refusal wanted: %v)", err, wantReplay)
			}
		})
	}
}

// TestROAVariantsDistinct makes sure the variant test above is not
// vacuous: for these requests the clients' strings to sign differ, so the
// server must try more than one resource.
func TestROAVariantsDistinct(t *testing.T) {
	t.Parallel()
	r := newRequest("GET", "cs.aliyuncs.com", "/api/v1/clusters", "region_id=cn-hangzhou&name=&x=a%20b", "", legacyHeaders(testNonce))
	seen := map[string]roaVariant{}
	for _, v := range []roaVariant{roaDarabonba, roaTeaROA, roaAligo} {
		s := naiveROAStringToSign(t, r, v)
		if prev, dup := seen[s]; dup {
			t.Fatalf("variants %d and %d give the same string to sign", prev, v)
		}
		seen[s] = v
	}
	r = newRequest("GET", "cs.aliyuncs.com", "/clusters/c1/tasks", "", "", legacyHeaders(testNonce))
	if naiveROAStringToSign(t, r, roaDarabonba) == naiveROAStringToSign(t, r, roaAliyunCLI) {
		t.Fatal("aliyun-cli's trailing ? makes no difference")
	}
}

// TestROAMatchesSDK compares the first resource the server tries with the
// SDK's own GetStringToSign.
func TestROAMatchesSDK(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"", "page_size=10&page_number=1", "name=my+cluster%2A~%2Fx&region_id=cn-hangzhou", "flag=&Z=1&a=2"} {
		r := newRequest("GET", "cs.aliyuncs.com", "/api/v1/clusters", q, "", legacyHeaders(testNonce))
		if got, want := roaStringsToSign(r)[0], sdkROAStringToSign(r); got != want {
			t.Errorf("query %q:\n got %q\nwant %q", q, got, want)
		}
	}
}

// TestROAUnescapableQuery: a query that does not decode can still match
// the raw request URI form.
func TestROAUnescapableQuery(t *testing.T) {
	t.Parallel()
	r := newRequest("GET", "cs.aliyuncs.com", "/clusters", "a=%zz", "", legacyHeaders(testNonce))
	signROA(t, r, roaAligo, testKeyID, testSecret)
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	r.Header = r.Header.Clone()
	r.Header.Set("Authorization", "acs "+testKeyID+":AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); codeOf(err) != CodeMismatch {
		t.Fatalf("bad signature: %v", err)
	}
}
