package sign

import (
	"context"
	"errors"
	"testing"
	"time"
)

// readBodyFrom returns a ReadBody that serves body and counts its calls.
func readBodyFrom(body string, calls *int) func() ([]byte, error) {
	return func() ([]byte, error) {
		*calls++
		return []byte(body), nil
	}
}

// deferBody turns a request with its body into one whose body is read on
// demand, as the HTTP layer hands it over.
func deferBody(r *Request, body string, calls *int) *Request {
	d := *r
	d.Body = nil
	d.ContentLength = int64(len(body))
	d.ReadBody = readBodyFrom(body, calls)
	return &d
}

// TestUnreadBodyIsReadOnlyForASignedRequest: the headers are checked
// first, so a request with a wrong signature, an unknown key or a stale
// date never has its body read, and a correctly signed request has it read
// once and held to the digest it claimed.
func TestUnreadBodyIsReadOnlyForASignedRequest(t *testing.T) {
	t.Parallel()
	const body = `{"next_version":"1.33.3-aliyun.1"}`
	acs3 := func() *Request {
		r := newACS3Request("POST", "/api/v2/clusters/c1/upgrade", "", body, specDate)
		signACS3(t, r, nameACS3SHA256, testKeyID, testSecret)
		return r
	}
	roa := func(md5 bool) *Request {
		h := legacyHeaders(testNonce)
		h["content-type"] = "application/json"
		if md5 {
			h["content-md5"] = contentMD5(body)
		}
		r := newRequest("POST", "cs.aliyuncs.com", "/api/v2/clusters/c1/upgrade", "", body, h)
		signROA(t, r, roaTeaROA, testKeyID, testSecret)
		return r
	}
	for name, mk := range map[string]func() *Request{"acs3": acs3, "roa": func() *Request { return roa(true) }} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			if id, err := newTestVerifier(specDate).Verify(context.Background(), deferBody(mk(), body, &calls)); err != nil || id != testKeyID {
				t.Fatalf("Verify = %q, %v", id, err)
			}
			if calls != 1 {
				t.Errorf("ReadBody called %d times, want 1", calls)
			}
			refused := map[string]func(r *Request) (*Verifier, *Request){
				"wrong signature": func(r *Request) (*Verifier, *Request) {
					r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-4]+"AAA=")
					if name == "acs3" {
						a := r.Header.Get("Authorization")
						r.Header.Set("Authorization", a[:len(a)-4]+"0000")
					}
					return newTestVerifier(specDate), r
				},
				"stale date": func(r *Request) (*Verifier, *Request) {
					return newTestVerifier(specDate.Add(time.Hour)), r
				},
				"unknown key": func(r *Request) (*Verifier, *Request) {
					v := newTestVerifier(specDate)
					v.Keys = testKeys{}
					return v, r
				},
			}
			for what, f := range refused {
				calls := 0
				v, r := f(deferBody(mk(), body, &calls))
				if _, err := v.Verify(context.Background(), r); codeOf(err) == "" {
					t.Errorf("%s: %v, want a client error", what, err)
				}
				if calls != 0 {
					t.Errorf("%s: the body was read", what)
				}
			}
			// Another body than the one signed for is a mismatch.
			calls = 0
			if _, err := newTestVerifier(specDate).Verify(context.Background(), deferBody(mk(), `{"next_version":"9"}`, &calls)); codeOf(err) != CodeMismatch {
				t.Errorf("other body: %v, want %s", err, CodeMismatch)
			}
		})
	}
	// ReadBody's own errors come back unchanged.
	tooSlow := errors.New("body too slow")
	r := acs3()
	d := *r
	d.Body, d.ContentLength = nil, int64(len(body))
	d.ReadBody = func() ([]byte, error) { return nil, tooSlow }
	if _, err := newTestVerifier(specDate).Verify(context.Background(), &d); !errors.Is(err, tooSlow) {
		t.Errorf("failing ReadBody: %v, want its error", err)
	}
}

// TestLegacyWriteWithoutNonceCannotBeReplayed is the attack: a legacy
// write without Content-MD5 and without a nonce is signed over its headers
// only, so a captured signature would carry any other body. The second use
// of the signature is refused, whatever the body; reads without a nonce are
// still bounded by the date window only (aliyun-cli sends none).
func TestLegacyWriteWithoutNonceCannotBeReplayed(t *testing.T) {
	t.Parallel()
	h := legacyHeaders("")
	h["content-type"] = "application/json"
	r := newRequest("POST", "cs.aliyuncs.com", "/clusters", "", `{"name":"mine"}`, h)
	signROA(t, r, roaTeaROA, testKeyID, testSecret)
	vf := newTestVerifier(specDate)
	if _, err := vf.Verify(context.Background(), r); err != nil {
		t.Fatalf("first use: %v", err)
	}
	replay := *r
	replay.Body = []byte(`{"name":"attacker's"}`)
	if _, err := vf.Verify(context.Background(), &replay); codeOf(err) != CodeNonceUsed {
		t.Fatalf("same signature, other body: %v, want %s", err, CodeNonceUsed)
	}
	get := newRequest("GET", "cs.aliyuncs.com", "/clusters", "", "", legacyHeaders(""))
	signROA(t, get, roaTeaROA, testKeyID, testSecret)
	for i := range 2 {
		if _, err := vf.Verify(context.Background(), get); err != nil {
			t.Fatalf("read %d without a nonce: %v", i, err)
		}
	}
}

// TestRequireContentMD5 refuses a legacy write with a body and no
// Content-MD5 before looking at anything else, and lets through writes with
// Content-MD5, writes without a body, reads, and ACS3.
func TestRequireContentMD5(t *testing.T) {
	t.Parallel()
	const body = `{"name":"x"}`
	sign := func(method, body string, md5 bool) *Request {
		h := legacyHeaders(testNonce)
		if body != "" {
			h["content-type"] = "application/json"
		}
		if md5 {
			h["content-md5"] = contentMD5(body)
		}
		r := newRequest(method, "cs.aliyuncs.com", "/clusters", "", body, h)
		signROA(t, r, roaTeaROA, testKeyID, testSecret)
		return r
	}
	strict := func() *Verifier {
		v := newTestVerifier(specDate)
		v.RequireContentMD5 = true
		return v
	}
	calls := 0
	if _, err := strict().Verify(context.Background(), sign("POST", body, false)); codeOf(err) != CodeIncomplete {
		t.Errorf("write without Content-MD5: %v, want %s", err, CodeIncomplete)
	}
	if _, err := strict().Verify(context.Background(), deferBody(sign("POST", body, false), body, &calls)); codeOf(err) != CodeIncomplete || calls != 0 {
		t.Errorf("unread write without Content-MD5: %v (body read %d times), want %s unread", err, calls, CodeIncomplete)
	}
	for what, r := range map[string]*Request{
		"with Content-MD5": sign("POST", body, true),
		"without a body":   sign("POST", "", false),
		"a read":           sign("GET", "", false),
	} {
		if _, err := strict().Verify(context.Background(), r); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	if _, err := newTestVerifier(specDate).Verify(context.Background(), sign("POST", body, false)); err != nil {
		t.Errorf("without the option: %v", err)
	}
	acs3 := newACS3Request("POST", "/clusters", "", body, specDate)
	signACS3(t, acs3, nameACS3SHA256, testKeyID, testSecret)
	if _, err := strict().Verify(context.Background(), acs3); err != nil {
		t.Errorf("ACS3 under the option: %v", err)
	}
}
