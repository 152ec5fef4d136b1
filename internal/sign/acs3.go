package sign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

const (
	hdrContentSHA256 = "x-acs-content-sha256"
	hdrDate          = "x-acs-date"
	hdrNonce         = "x-acs-signature-nonce"
)

// sum hashes p with the algorithm's digest: SHA-256, or SM3 for
// ACS3-HMAC-SM3 (the SDK then puts the SM3 digest of the payload in
// x-acs-content-sha256 too, despite the header's name).
func (a algorithm) sum(p []byte) [32]byte {
	if a == algACS3SM3 {
		return sm3.Sum(p)
	}
	return sha256.Sum256(p)
}

func (a algorithm) newHash() func() hash.Hash {
	if a == algACS3SM3 {
		return sm3.New
	}
	return sha256.New
}

// acs3Fields are the header values an ACS3 request must carry.
type acs3Fields struct {
	date, nonce, contentHash string // trimmed
}

// checkACS3 is the parse stage of an ACS3 request: every signed header must
// be present, x-acs-date and x-acs-signature-nonce must be signed and not
// empty, x-acs-content-sha256 must be sent, and the query must decode. It
// leaves the signed headers' values in s.vals and the query in s.params.
func checkACS3(r *Request, a *authorization, s *scratch) (acs3Fields, *Error) {
	var f acs3Fields
	var date, nonce bool
	s.vals = s.vals[:0]
	for names := a.signedHeaders; names != ""; {
		var name string
		name, names, _ = strings.Cut(names, ";")
		if strings.EqualFold(name, "host") {
			if r.Host == "" {
				return f, incomplete("The signed header host is missing.")
			}
			s.vals = append(s.vals, nil) // taken from r.Host
			continue
		}
		vals := headerValues(r.Header, name)
		if vals == nil {
			return f, incomplete("The signed header " + name + " is missing.")
		}
		s.vals = append(s.vals, vals)
		if strings.EqualFold(name, hdrDate) {
			date, f.date = true, strings.TrimSpace(vals[0])
		} else if strings.EqualFold(name, hdrNonce) {
			nonce, f.nonce = true, strings.TrimSpace(vals[0])
		}
	}
	f.contentHash = strings.TrimSpace(headerValue(r.Header, hdrContentSHA256))
	switch {
	case !date || f.date == "":
		return f, incomplete("The x-acs-date header must be sent and signed.")
	case !nonce || f.nonce == "":
		return f, incomplete("The x-acs-signature-nonce header must be sent and signed.")
	case f.contentHash == "":
		return f, incomplete("The x-acs-content-sha256 header is missing.")
	}
	if s.parseQuery(r.RawQuery) != nil {
		return f, incomplete("The query string is not well formed.")
	}
	return f, nil
}

// buildACS3 writes the canonical request of r into s.buf, from what
// checkACS3 left in s and the hex digest of the body.
func (s *scratch) buildACS3(r *Request, a *authorization, payloadHex []byte) {
	b := append(s.buf[:0], r.Method...)
	b = append(b, '\n')
	if r.RawPath == "" {
		b = append(b, '/')
	} else {
		b = appendSDKReplace(b, r.RawPath)
	}
	b = append(b, '\n')
	for i, p := range s.params {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendSDKReplace(b, s.key(p))
		b = append(b, '=')
		b = appendQueryEscape(b, s.val(p))
	}
	b = append(b, '\n')
	names := a.signedHeaders
	for _, vals := range s.vals {
		var name string
		name, names, _ = strings.Cut(names, ";")
		b = append(b, name...)
		b = append(b, ':')
		if vals == nil {
			b = append(b, strings.TrimSpace(r.Host)...)
		} else {
			b = appendACS3HeaderValue(b, vals)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, a.signedHeaders...)
	b = append(b, '\n')
	s.buf = append(b, payloadHex...)
}

// appendACS3HeaderValue appends the header's value trimmed of spaces; the
// values of a repeated header are trimmed, sorted and joined with ','.
func appendACS3HeaderValue(b []byte, vals []string) []byte {
	if len(vals) == 1 {
		return append(b, strings.TrimSpace(vals[0])...)
	}
	sorted := make([]string, len(vals))
	for i, v := range vals {
		sorted[i] = strings.TrimSpace(v)
	}
	slices.Sort(sorted)
	return append(b, strings.Join(sorted, ",")...)
}

// acs3StringToSign returns "<algorithm>\n<hex digest of canonical>" in dst.
func acs3StringToSign(dst *[len(nameACS3SHA256) + 1 + 64]byte, a algorithm, canonical []byte) []byte {
	b := append(dst[:0], a.String()...)
	b = append(b, '\n')
	sum := a.sum(canonical)
	return hex.AppendEncode(b, sum[:])
}

// verifyACS3 checks an ACS3-HMAC-SHA256 or ACS3-HMAC-SM3 request.
func (v *Verifier) verifyACS3(ctx context.Context, r *Request, a *authorization, s *scratch, now time.Time) error {
	f, e := checkACS3(r, a, s)
	if e != nil {
		return e
	}
	secret, err := v.secret(ctx, a.keyID)
	if err != nil {
		return err
	}
	var payload [64]byte
	if r.ReadBody == nil {
		sum := a.alg.sum(r.Body)
		hex.Encode(payload[:], sum[:])
		if f.contentHash != string(payload[:]) {
			return errBodyDigest
		}
	} else {
		// The body is still unread: sign with the digest the client claims
		// and hold the body to it once the headers have passed.
		if len(f.contentHash) != len(payload) {
			return errBodyDigest
		}
		copy(payload[:], f.contentHash)
	}
	s.buildACS3(r, a, payload[:])
	var stsBuf [len(nameACS3SHA256) + 1 + 64]byte
	sts := acs3StringToSign(&stsBuf, a.alg, s.buf)
	mac := s.hmacFor(a.alg, secret)
	mac.Write(sts)
	var got [32]byte
	if !hmac.Equal(mac.Sum(got[:0]), a.sig[:a.sigLen]) {
		return mismatch(string(sts) + " server canonical request is:" + string(s.buf))
	}
	t, err := time.Parse(time.RFC3339, f.date)
	if err != nil {
		return incomplete(msgBadDate)
	}
	if err := v.checkTime(t, now); err != nil {
		return err
	}
	if err := v.useNonce(ctx, a.keyID, f.nonce, now, r.isWrite()); err != nil {
		return err
	}
	if r.ReadBody == nil {
		return nil
	}
	body, err := r.ReadBody()
	if err != nil {
		return err
	}
	sum := a.alg.sum(body)
	var bodyHex [64]byte
	hex.Encode(bodyHex[:], sum[:])
	if bodyHex != payload {
		return errBodyDigest
	}
	return nil
}

// errBodyDigest reports a body that does not match x-acs-content-sha256.
var errBodyDigest = &Error{Code: CodeMismatch, Message: msgMismatch + " The x-acs-content-sha256 header does not match the request body."}

// canonicalACS3 returns the canonical request and string to sign that the
// server computes for r, whose Authorization must be an ACS3 one. Tests and
// fuzzing use it; Verify builds the same bytes without the copies.
func canonicalACS3(r *Request) (canonical, stringToSign string, err error) {
	a, e := parseAuthorization(headerValue(r.Header, "authorization"))
	if e != nil {
		return "", "", e
	}
	if a.alg == algROA {
		return "", "", incomplete(msgAlgorithm)
	}
	s := getScratch()
	defer putScratch(s)
	if _, e := checkACS3(r, &a, s); e != nil {
		return "", "", e
	}
	sum := a.alg.sum(r.Body)
	s.buildACS3(r, &a, hex.AppendEncode(nil, sum[:]))
	var stsBuf [len(nameACS3SHA256) + 1 + 64]byte
	return string(s.buf), string(acs3StringToSign(&stsBuf, a.alg, s.buf)), nil
}
