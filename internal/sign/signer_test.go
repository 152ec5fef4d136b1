package sign

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// This file is the client side for tests: a deliberately naive signer
// written from the SDK's rules (docs/wire.md, "Signatures") with plain string
// concatenation, independent of the verifier's buffers and escaping code.

const testNonce = "3156853299f313e23d1673dc12e1703d"

// newRequest builds a request as the HTTP layer would hand it over; hdr
// names are canonicalised as net/http does.
func newRequest(method, host, rawPath, rawQuery, body string, hdr map[string]string) *Request {
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	return &Request{Method: method, Host: host, RawPath: rawPath, RawQuery: rawQuery, Header: h, Body: []byte(body)}
}

// newACS3Request returns an unsigned request with the headers the SDK sets
// for ACS3, dated at date.
func newACS3Request(method, rawPath, rawQuery, body string, date time.Time) *Request {
	hdr := map[string]string{
		"accept":                     "application/json",
		"user-agent":                 "test-ua",
		"x-acs-action":               "DescribeClusterTasks",
		"x-acs-version":              "2015-12-15",
		"x-acs-credentials-provider": "static_ak",
		"x-acs-date":                 date.UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-signature-nonce":      testNonce,
	}
	if body != "" {
		hdr["content-type"] = "application/json; charset=utf-8"
	}
	return newRequest(method, "cs.cn-hangzhou.aliyuncs.com", rawPath, rawQuery, body, hdr)
}

func naiveHash(alg string) func() hash.Hash {
	if alg == nameACS3SM3 {
		return sm3.New
	}
	return sha256.New
}

func naiveSum(alg string, p []byte) string {
	h := naiveHash(alg)()
	h.Write(p)
	return hex.EncodeToString(h.Sum(nil))
}

// naiveCanonicalACS3 is the SDK's GetAuthorization canonical request,
// signing every x-acs-*, host and content-type header, as the SDK does.
func naiveCanonicalACS3(tb testing.TB, r *Request, payloadHex string) (canonical, signedHeaders string) {
	tb.Helper()
	path := r.RawPath
	if path == "" {
		path = "/"
	}
	replace := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")
	q, err := url.ParseQuery(r.RawQuery)
	if err != nil {
		tb.Fatalf("parse query: %v", err)
	}
	var keys []string
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	query := ""
	for _, k := range keys {
		if v := q.Get(k); v != "" {
			query += "&" + k + "=" + url.QueryEscape(v)
		} else {
			query += "&" + k + "="
		}
	}
	query = strings.TrimPrefix(replace.Replace(query), "&")

	vals := map[string]string{"host": r.Host}
	for k, v := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-acs-") || lk == "content-type" {
			vals[lk] = strings.TrimSpace(v[0])
		}
	}
	var names []string
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	headers := ""
	for _, k := range names {
		headers += k + ":" + vals[k] + "\n"
	}
	signedHeaders = strings.Join(names, ";")
	return r.Method + "\n" + replace.Replace(path) + "\n" + query + "\n" + headers + "\n" + signedHeaders + "\n" + payloadHex, signedHeaders
}

// signACS3 sets x-acs-content-sha256 and Authorization on r the way the SDK
// does for alg (ACS3-HMAC-SHA256 or ACS3-HMAC-SM3).
func signACS3(tb testing.TB, r *Request, alg, keyID, secret string) {
	tb.Helper()
	payload := naiveSum(alg, r.Body)
	r.Header.Set("x-acs-content-sha256", payload)
	canonical, signed := naiveCanonicalACS3(tb, r, payload)
	sts := alg + "\n" + naiveSum(alg, []byte(canonical))
	mac := hmac.New(naiveHash(alg), []byte(secret))
	mac.Write([]byte(sts))
	r.Header.Set("Authorization", alg+" Credential="+keyID+",SignedHeaders="+signed+",Signature="+hex.EncodeToString(mac.Sum(nil)))
}

// roaVariant names the legacy clients whose resource strings differ.
type roaVariant int

const (
	roaDarabonba roaVariant = iota // decoded sorted values, "k" for empty
	roaTeaROA                      // decoded sorted values, "k=" for empty
	roaAliyunCLI                   // like darabonba, but "?" always
	roaAligo                       // the raw request URI
)

// naiveROAStringToSign is the legacy string to sign as client v builds it.
func naiveROAStringToSign(tb testing.TB, r *Request, v roaVariant) string {
	tb.Helper()
	var acs []string
	for k, vals := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-acs-") {
			acs = append(acs, lk+":"+vals[0]+"\n")
		}
	}
	sort.Strings(acs)
	resource := r.RawPath
	switch v {
	case roaAligo:
		if r.RawQuery != "" {
			resource += "?" + r.RawQuery
		}
	default:
		q, err := url.ParseQuery(r.RawQuery)
		if err != nil {
			tb.Fatalf("parse query: %v", err)
		}
		var pairs []string
		for k := range q {
			switch val := q.Get(k); {
			case val != "":
				pairs = append(pairs, k+"="+val)
			case v == roaTeaROA:
				pairs = append(pairs, k+"=")
			default:
				pairs = append(pairs, k)
			}
		}
		sort.Strings(pairs)
		if len(pairs) > 0 || v == roaAliyunCLI {
			resource += "?" + strings.Join(pairs, "&")
		}
	}
	h := r.Header
	return r.Method + "\n" + h.Get("Accept") + "\n" + h.Get("Content-MD5") + "\n" + h.Get("Content-Type") + "\n" +
		h.Get("Date") + "\n" + strings.Join(acs, "") + resource
}

// signROA sets the legacy Authorization on r as client v computes it.
func signROA(tb testing.TB, r *Request, v roaVariant, keyID, secret string) {
	tb.Helper()
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(naiveROAStringToSign(tb, r, v)))
	r.Header.Set("Authorization", "acs "+keyID+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// contentMD5 is base64(MD5(body)) as aliyun-cli and aliyungo send it.
func contentMD5(body string) string {
	sum := md5.Sum([]byte(body))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// mustParseQuery is url.ParseQuery for queries the test wrote itself.
func mustParseQuery(raw string) url.Values {
	q, err := url.ParseQuery(raw)
	if err != nil {
		panic(err)
	}
	return q
}
