package sign

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSpecVectors(t *testing.T) {
	t.Parallel()
	for _, v := range specVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			r := parseWire(t, v.wire, v.body)
			if got := headerValue(r.Header, "authorization"); got != v.authorization {
				t.Fatalf("wire Authorization = %q, want %q", got, v.authorization)
			}
			if v.acs3() {
				canonical, sts, err := canonicalACS3(r)
				if err != nil {
					t.Fatalf("canonicalACS3: %v", err)
				}
				if canonical != v.canonical {
					t.Errorf("canonical request\n got %q\nwant %q", canonical, v.canonical)
				}
				if sts != v.stringToSign {
					t.Errorf("string to sign\n got %q\nwant %q", sts, v.stringToSign)
				}
			} else if got := roaStringsToSign(r); len(got) == 0 || got[0] != v.stringToSign {
				t.Errorf("string to sign\n got %q\nwant %q", got, v.stringToSign)
			}

			vf := newTestVerifier(specDate)
			id, err := vf.Verify(context.Background(), r)
			if err != nil || id != testKeyID {
				t.Fatalf("Verify = %q, %v; want %q, nil", id, err, testKeyID)
			}
			// The same request again is a replay.
			if _, err := vf.Verify(context.Background(), r); codeOf(err) != CodeNonceUsed {
				t.Fatalf("replayed Verify: err = %v, want %s", err, CodeNonceUsed)
			}
		})
	}
}

// codeOf returns the Code of a *Error, or "" for nil or another error.
func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func vector(t *testing.T, prefix string) specVector {
	t.Helper()
	for _, v := range specVectors {
		if strings.HasPrefix(v.name, prefix+" ") {
			return v
		}
	}
	t.Fatalf("no vector %s", prefix)
	return specVector{}
}

// TestVerifyRejects drives each failure kind with a realistic bad request,
// starting from the spec's vectors: V2 (ACS3 with a body), V3 (ACS3, no
// body) and V8 (legacy with a body).
func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		vector string
		edit   func(r *Request)
		now    time.Duration // offset of the server clock from the vector's date
		keys   testKeys
		want   Code
	}{
		{name: "ACS3 tampered body", vector: "V2", edit: func(r *Request) {
			r.Body = []byte(`{"master_only":true,"next_version":"1.99.0-aliyun.1"}`)
		}, want: CodeMismatch},
		{name: "ACS3 tampered body with its hash", vector: "V2", edit: func(r *Request) {
			r.Body = []byte(`{"master_only":false,"next_version":"1.31.1-aliyun.1"}`)
			r.Header.Set("x-acs-content-sha256", naiveSum(nameACS3SHA256, r.Body))
		}, want: CodeMismatch},
		{name: "ACS3 tampered signed header", vector: "V3", edit: func(r *Request) {
			r.Header.Set("x-acs-action", "CancelTask")
		}, want: CodeMismatch},
		{name: "ACS3 tampered path", vector: "V3", edit: func(r *Request) {
			r.RawPath = "/tasks/T-5faa48fb31b6b8078d000006/cancel"
		}, want: CodeMismatch},
		{name: "ACS3 added query", vector: "V3", edit: func(r *Request) {
			r.RawQuery = "force=true"
		}, want: CodeMismatch},
		{name: "ACS3 tampered host", vector: "V3", edit: func(r *Request) {
			r.Host = "cs.cn-beijing.aliyuncs.com"
		}, want: CodeMismatch},
		{name: "ACS3 wrong secret", vector: "V3", keys: testKeys{testKeyID: {secret: "otherSecret", active: true}}, want: CodeMismatch},
		{name: "ACS3 no Authorization", vector: "V3", edit: func(r *Request) {
			r.Header.Del("Authorization")
		}, want: CodeIncomplete},
		{name: "ACS3 malformed Authorization", vector: "V3", edit: func(r *Request) {
			r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=testAccessKeyId,Signature=05159b15")
		}, want: CodeIncomplete},
		{name: "ACS3 unsupported algorithm", vector: "V3", edit: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "ACS3-HMAC-SHA256", "ACS3-RSA-SHA256", 1))
		}, want: CodeIncomplete},
		{name: "ACS3 signed header missing", vector: "V3", edit: func(r *Request) {
			r.Header.Del("x-acs-credentials-provider")
		}, want: CodeIncomplete},
		{name: "ACS3 date missing", vector: "V3", edit: func(r *Request) {
			r.Header.Del("x-acs-date")
		}, want: CodeIncomplete},
		{name: "ACS3 content hash missing", vector: "V3", edit: func(r *Request) {
			r.Header.Del("x-acs-content-sha256")
		}, want: CodeIncomplete},
		{name: "ACS3 date 16 minutes behind", vector: "V3", now: 16 * time.Minute, want: CodeExpired},
		{name: "ACS3 date 16 minutes ahead", vector: "V3", now: -16 * time.Minute, want: CodeExpired},
		{name: "ACS3 unknown key", vector: "V3", edit: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "testAccessKeyId", "LTAInobody", 1))
		}, want: CodeKeyNotFound},
		{name: "ACS3 inactive key", vector: "V3", keys: testKeys{testKeyID: {secret: testSecret}}, want: CodeKeyInactive},

		{name: "ROA tampered Date", vector: "V8", edit: func(r *Request) {
			r.Header.Set("Date", "Mon, 01 Jan 2024 00:05:00 GMT")
		}, want: CodeMismatch},
		{name: "ROA tampered x-acs header", vector: "V8", edit: func(r *Request) {
			r.Header.Set("x-acs-action", "CancelClusterUpgrade")
		}, want: CodeMismatch},
		{name: "ROA added x-acs header", vector: "V8", edit: func(r *Request) {
			r.Header.Set("x-acs-region-id", "cn-beijing")
		}, want: CodeMismatch},
		{name: "ROA Content-MD5 not matching body", vector: "V8", edit: func(r *Request) {
			r.Header.Set("Content-MD5", contentMD5("{}"))
		}, want: CodeMismatch},
		{name: "ROA wrong secret", vector: "V8", keys: testKeys{testKeyID: {secret: "otherSecret", active: true}}, want: CodeMismatch},
		{name: "ROA malformed Authorization", vector: "V8", edit: func(r *Request) {
			r.Header.Set("Authorization", "acs testAccessKeyId")
		}, want: CodeIncomplete},
		{name: "ROA signature not base64", vector: "V8", edit: func(r *Request) {
			r.Header.Set("Authorization", "acs testAccessKeyId:not-a-signature!")
		}, want: CodeIncomplete},
		{name: "ROA Date missing", vector: "V8", edit: func(r *Request) {
			r.Header.Del("Date")
		}, want: CodeIncomplete},
		{name: "ROA date 16 minutes behind", vector: "V8", now: 16 * time.Minute, want: CodeExpired},
		{name: "ROA unknown key", vector: "V8", edit: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "testAccessKeyId", "LTAInobody", 1))
		}, want: CodeKeyNotFound},
		{name: "ROA inactive key", vector: "V8", keys: testKeys{testKeyID: {secret: testSecret}}, want: CodeKeyInactive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := vector(t, tt.vector)
			r := parseWire(t, v.wire, v.body)
			if tt.edit != nil {
				tt.edit(r)
			}
			vf := newTestVerifier(specDate.Add(tt.now))
			if tt.keys != nil {
				vf.Keys = tt.keys
			}
			id, err := vf.Verify(context.Background(), r)
			if codeOf(err) != tt.want {
				t.Fatalf("Verify = %q, %v; want code %s", id, err, tt.want)
			}
			if id != "" {
				t.Errorf("Verify returned key %q with an error", id)
			}
			if e := (*Error)(nil); errors.As(err, &e) && (e.Message == "" || strings.Contains(e.Message, testSecret)) {
				t.Errorf("message %q is empty or leaks the secret", e.Message)
			}
		})
	}
}

// TestVerifyWindowEdge accepts a request exactly Window away, either way.
func TestVerifyWindowEdge(t *testing.T) {
	t.Parallel()
	v := vector(t, "V1")
	for _, off := range []time.Duration{-DefaultWindow, DefaultWindow} {
		r := parseWire(t, v.wire, v.body)
		if _, err := newTestVerifier(specDate.Add(off)).Verify(context.Background(), r); err != nil {
			t.Errorf("clock %v from the date: %v", off, err)
		}
	}
}

// TestNonceConsumedOnlyBySignedRequest: a forged or expired request that
// carries a legitimate nonce must not burn it.
func TestNonceConsumedOnlyBySignedRequest(t *testing.T) {
	t.Parallel()
	v := vector(t, "V1")
	vf := newTestVerifier(specDate)
	forged := parseWire(t, v.wire, v.body)
	forged.RawQuery = "page_number=2&page_size=20"
	if _, err := vf.Verify(context.Background(), forged); codeOf(err) != CodeMismatch {
		t.Fatalf("forged: %v, want %s", err, CodeMismatch)
	}
	late := *vf
	late.Now = func() time.Time { return specDate.Add(time.Hour) }
	if _, err := late.Verify(context.Background(), parseWire(t, v.wire, v.body)); codeOf(err) != CodeExpired {
		t.Fatalf("late: %v, want %s", err, CodeExpired)
	}
	if _, err := vf.Verify(context.Background(), parseWire(t, v.wire, v.body)); err != nil {
		t.Fatalf("genuine request after a forgery: %v", err)
	}
}

func TestVerifyUnsignedHeaderMayChange(t *testing.T) {
	t.Parallel()
	v := vector(t, "V2")
	r := parseWire(t, v.wire, v.body)
	r.Header.Set("User-Agent", "something else")
	r.Header.Set("Accept-Encoding", "gzip")
	if _, err := newTestVerifier(specDate).Verify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

type failingKeys struct{ err error }

func (k failingKeys) Secret(context.Context, string) (string, bool, error) { return "", false, k.err }

type failingNonces struct{ err error }

func (n failingNonces) Use(context.Context, string, string, time.Time) error { return n.err }

// TestVerifyInternalErrors: store failures are not client errors.
func TestVerifyInternalErrors(t *testing.T) {
	t.Parallel()
	v := vector(t, "V1")
	storeDown := errors.New("store down")

	vf := newTestVerifier(specDate)
	vf.Keys = failingKeys{storeDown}
	if _, err := vf.Verify(context.Background(), parseWire(t, v.wire, v.body)); !errors.Is(err, storeDown) || codeOf(err) != "" {
		t.Errorf("Keys failure: %v, want a wrapped store error", err)
	}
	vf = newTestVerifier(specDate)
	vf.Nonces = failingNonces{storeDown}
	if _, err := vf.Verify(context.Background(), parseWire(t, v.wire, v.body)); !errors.Is(err, storeDown) || codeOf(err) != "" {
		t.Errorf("Nonces failure: %v, want a wrapped store error", err)
	}
	if _, err := (&Verifier{}).Verify(context.Background(), parseWire(t, v.wire, v.body)); err == nil || codeOf(err) != "" {
		t.Errorf("unconfigured Verifier: %v, want an internal error", err)
	}
}

func TestMismatchEchoesStringToSign(t *testing.T) {
	t.Parallel()
	v := vector(t, "V7")
	r := parseWire(t, v.wire, v.body)
	r.Header.Set("x-acs-action", "Other")
	_, err := newTestVerifier(specDate).Verify(context.Background(), r)
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "server string to sign is:GET\napplication/json\n") ||
		!strings.Contains(e.Message, "x-acs-action:Other\n") {
		t.Fatalf("err = %v, want the server's string to sign in the message", err)
	}
}
