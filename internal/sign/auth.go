package sign

import (
	"encoding/base64"
	"strings"
)

// algorithm is the signature scheme named by the Authorization header.
type algorithm uint8

const (
	algACS3SHA256 algorithm = iota + 1 // ACS3-HMAC-SHA256
	algACS3SM3                         // ACS3-HMAC-SM3
	algROA                             // legacy "acs id:sig", HMAC-SHA1
)

const (
	nameACS3SHA256 = "ACS3-HMAC-SHA256"
	nameACS3SM3    = "ACS3-HMAC-SM3"
)

func (a algorithm) String() string {
	switch a {
	case algACS3SHA256:
		return nameACS3SHA256
	case algACS3SM3:
		return nameACS3SM3
	case algROA:
		return "acs"
	}
	return "unknown"
}

// maxSignedHeaders bounds the SignedHeaders list; the SDK signs about ten.
const maxSignedHeaders = 64

// authorization is a parsed Authorization header.
type authorization struct {
	alg           algorithm
	keyID         string
	signedHeaders string   // ACS3 only: ';'-separated names, as sent
	sig           [32]byte // the signature's bytes; sigLen of them are used
	sigLen        int
}

// parseAuthorization parses both
//
//	ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=a;b;c,Signature=<hex>
//	acs <id>:<base64>
//
// It returns a *Error with CodeIncomplete for anything else.
func parseAuthorization(s string) (authorization, *Error) {
	var a authorization
	if s == "" {
		return a, incomplete(msgNoAuth)
	}
	scheme, rest, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return a, incomplete(msgBadAuth)
	}
	rest = strings.TrimLeft(rest, " ")
	switch {
	case scheme == nameACS3SHA256:
		a.alg = algACS3SHA256
	case scheme == nameACS3SM3:
		a.alg = algACS3SM3
	case strings.EqualFold(scheme, "acs"):
		a.alg = algROA
		return a, parseROAAuth(&a, rest)
	default:
		return a, incomplete(msgAlgorithm)
	}
	return a, parseACS3Auth(&a, rest)
}

func parseACS3Auth(a *authorization, s string) *Error {
	var cred, signed, sig string
	var seen uint8
	for s != "" {
		var field string
		field, s, _ = strings.Cut(s, ",")
		name, value, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return incomplete(msgBadAuth)
		}
		var bit uint8
		switch name {
		case "Credential":
			cred, bit = value, 1
		case "SignedHeaders":
			signed, bit = value, 2
		case "Signature":
			sig, bit = value, 4
		default:
			return incomplete(msgBadAuth)
		}
		if seen&bit != 0 {
			return incomplete(msgBadAuth)
		}
		seen |= bit
	}
	if seen != 7 || cred == "" || strings.ContainsAny(cred, " \t") || !validSignedHeaders(signed) {
		return incomplete(msgBadAuth)
	}
	if !decodeHex(a.sig[:], sig) {
		return incomplete(msgBadAuth)
	}
	a.keyID, a.signedHeaders, a.sigLen = cred, signed, len(a.sig)
	return nil
}

// validSignedHeaders reports whether s is a ';'-separated list of at most
// maxSignedHeaders non-empty header names.
func validSignedHeaders(s string) bool {
	if s == "" {
		return false
	}
	n := 0
	for s != "" {
		var name string
		name, s, _ = strings.Cut(s, ";")
		if n++; n > maxSignedHeaders || !validHeaderName(name) {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is a non-empty HTTP token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// decodeHex decodes the hex string s, which must be exactly len(dst) bytes
// long once decoded, into dst. Unlike hex.Decode it takes a string, so the
// conversion does not allocate.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := s[2*i], s[2*i+1]
		if !isHex(hi) || !isHex(lo) {
			return false
		}
		dst[i] = unhex(hi)<<4 | unhex(lo)
	}
	return true
}

func parseROAAuth(a *authorization, s string) *Error {
	id, sig, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || id == "" || strings.ContainsAny(id, " \t") {
		return incomplete(msgBadAuth)
	}
	// HMAC-SHA1 is 20 bytes: 28 base64 characters with one '='.
	if len(sig) != base64.StdEncoding.EncodedLen(20) {
		return incomplete(msgBadAuth)
	}
	n, err := base64.StdEncoding.Decode(a.sig[:], []byte(sig))
	if err != nil || n != 20 {
		return incomplete(msgBadAuth)
	}
	a.keyID, a.sigLen = id, n
	return nil
}
