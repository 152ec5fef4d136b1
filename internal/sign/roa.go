package sign

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Legacy ROA signature (HMAC-SHA1), spec section 5.2:
//
//	StringToSign = Method "\n" Accept "\n" Content-MD5 "\n" Content-Type "\n"
//	               Date "\n" CanonicalizedHeaders CanonicalizedResource
//
// CanonicalizedHeaders is every x-acs-* header, lower-cased and sorted,
// "name:value\n" each, values untrimmed. Content-MD5, when sent, is checked
// against the body; without it the body is not covered by the signature.

// roaResource is one way a legacy client builds CanonicalizedResource.
// Clients disagree, so the server tries each, in order:
//
//	resourceDecoded      path + "?" + sorted decoded k=v, "k" for an empty value (darabonba v2, aliyun-cli)
//	resourceDecodedEqual the same with "k=" for an empty value (tea-roa)
//	resourceRaw          the request URI as received (denverdino/aliyungo)
//	resourceAlwaysQuery  path + "?" even without a query (aliyun-cli)
type roaResource uint8

const (
	resourceDecoded roaResource = iota
	resourceDecodedEqual
	resourceRaw
	resourceAlwaysQuery
	roaResources
)

// applies reports whether the variant can give a resource different from
// the variants before it, so that an HMAC is rarely computed twice for one
// string.
func (v roaResource) applies(r *Request, s *scratch) bool {
	switch v {
	case resourceDecodedEqual:
		for _, p := range s.params {
			if p.v0 == p.v1 {
				return true
			}
		}
		return false
	case resourceRaw:
		return r.RawQuery != ""
	case resourceAlwaysQuery:
		return len(s.params) == 0
	}
	return true
}

func (v roaResource) append(b []byte, r *Request, s *scratch) []byte {
	b = append(b, r.RawPath...)
	if v == resourceRaw {
		if r.RawQuery != "" {
			b = append(b, '?')
			b = append(b, r.RawQuery...)
		}
		return b
	}
	if len(s.params) > 0 || v == resourceAlwaysQuery {
		b = append(b, '?')
	}
	for i, p := range s.params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, s.key(p)...)
		if p.v0 != p.v1 || v == resourceDecodedEqual {
			b = append(b, '=')
		}
		b = append(b, s.val(p)...)
	}
	return b
}

// buildROAHeaders writes the part of the string to sign before the
// resource into s.buf.
func (s *scratch) buildROAHeaders(r *Request) {
	b := append(s.buf[:0], r.Method...)
	b = append(b, '\n')
	for _, name := range [...]string{"accept", "content-md5", "content-type", "date"} {
		b = append(b, headerValue(r.Header, name)...)
		b = append(b, '\n')
	}
	s.collectACSHeaders(r.Header)
	for _, h := range s.hdrs {
		b = append(b, h.name...)
		b = append(b, ':')
		if len(h.vals) > 0 {
			b = append(b, h.vals[0]...)
		}
		b = append(b, '\n')
	}
	s.buf = b
}

// verifyROA checks a legacy "acs <id>:<signature>" request.
func (v *Verifier) verifyROA(ctx context.Context, r *Request, a *authorization, s *scratch, now time.Time) error {
	date := headerValue(r.Header, "date")
	if date == "" {
		return incomplete("The Date header is missing.")
	}
	md5sum := headerValue(r.Header, "content-md5")
	if v.RequireContentMD5 && md5sum == "" && r.isWrite() && r.hasBody() {
		return incomplete("The Content-MD5 header must be sent and signed with a request body: this server requires the legacy signature to cover the body.")
	}
	// A query that does not decode leaves only the raw-URI variant.
	decoded := s.parseQuery(r.RawQuery) == nil
	secret, err := v.secret(ctx, a.keyID)
	if err != nil {
		return err
	}
	if md5sum != "" && r.ReadBody == nil && !contentMD5Matches(md5sum, r.Body) {
		return errContentMD5
	}
	s.buildROAHeaders(r)
	prefix := len(s.buf)
	mac := s.hmacFor(algROA, secret)
	var got [sha1.Size]byte
	first := ""
	ok := false
	for res := range roaResources {
		if !res.applies(r, s) || !decoded && res != resourceRaw {
			continue
		}
		s.buf = res.append(s.buf[:prefix], r, s)
		mac.Reset()
		mac.Write(s.buf)
		if hmac.Equal(mac.Sum(got[:0]), a.sig[:a.sigLen]) {
			ok = true
			break
		}
		if first == "" {
			first = string(s.buf)
		}
	}
	if !ok {
		return mismatch(first)
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return incomplete(msgBadDate)
	}
	if err := v.checkTime(t, now); err != nil {
		return err
	}
	if err := v.useROANonce(ctx, r, a, now); err != nil {
		return err
	}
	if r.ReadBody == nil {
		return nil
	}
	body, err := r.ReadBody()
	if err != nil {
		return err
	}
	if md5sum != "" && !contentMD5Matches(md5sum, body) {
		return errContentMD5
	}
	return nil
}

// errContentMD5 reports a body that does not match Content-MD5.
var errContentMD5 = &Error{Code: CodeMismatch, Message: msgMismatch + " The Content-MD5 header does not match the request body."}

// sigNoncePrefix marks the nonce store entries that stand for the exact
// signature of a write sent without a nonce.
const sigNoncePrefix = "sig:"

// useROANonce consumes the request's nonce. aliyun-cli sends none; then a
// read is limited by the date window only, but a write's exact signature
// is consumed in its place: without Content-MD5 the signature does not
// cover the body, and even with it a write must not take effect twice, so
// a captured signature cannot be sent again, with another body or the
// same one.
func (v *Verifier) useROANonce(ctx context.Context, r *Request, a *authorization, now time.Time) error {
	if nonce := strings.TrimSpace(headerValue(r.Header, hdrNonce)); nonce != "" {
		return v.useNonce(ctx, a.keyID, nonce, now, r.isWrite())
	}
	if !r.isWrite() {
		return nil
	}
	var enc [28]byte // base64 of the 20-byte HMAC-SHA1
	base64.StdEncoding.Encode(enc[:], a.sig[:a.sigLen])
	return v.useNonce(ctx, a.keyID, sigNoncePrefix+string(enc[:]), now, true)
}

// contentMD5Matches reports whether want is base64(MD5(body)).
func contentMD5Matches(want string, body []byte) bool {
	sum := md5.Sum(body)
	var enc [24]byte // base64 of 16 bytes
	base64.StdEncoding.Encode(enc[:], sum[:])
	return hmac.Equal(enc[:], []byte(strings.TrimSpace(want)))
}

// roaStringsToSign returns the strings to sign that the server tries for
// the legacy request r, in order. Tests and fuzzing use it.
func roaStringsToSign(r *Request) []string {
	s := getScratch()
	defer putScratch(s)
	decoded := s.parseQuery(r.RawQuery) == nil
	s.buildROAHeaders(r)
	prefix := len(s.buf)
	var out []string
	for res := range roaResources {
		if !res.applies(r, s) || !decoded && res != resourceRaw {
			continue
		}
		s.buf = res.append(s.buf[:prefix], r, s)
		out = append(out, string(s.buf))
	}
	return out
}
