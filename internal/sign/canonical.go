package sign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"errors"
	"hash"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// scratch holds the per-request buffers. Verify takes one from a pool so
// that building canonical strings does not allocate on the hot path.
type scratch struct {
	buf    []byte     // canonical request / string to sign
	dec    []byte     // decoded query keys and values
	params []param    // query parameters, offsets into dec
	hdrs   []header   // x-acs-* headers of a legacy request
	vals   [][]string // values of an ACS3 request's signed headers, nil for host
	// mac is the HMAC of the last request this scratch verified, kept with
	// what it is keyed by: most requests come from one key, and keying an
	// HMAC costs allocations and two hash blocks.
	mac    hash.Hash
	macAlg algorithm
	macKey string
}

// hmacFor returns an HMAC for alg keyed with secret, reset and ready: the
// one kept from the last request when it matches.
func (s *scratch) hmacFor(alg algorithm, secret string) hash.Hash {
	if s.mac != nil && s.macAlg == alg && s.macKey == secret {
		s.mac.Reset()
		return s.mac
	}
	newHash := sha1.New
	if alg != algROA {
		newHash = alg.newHash()
	}
	s.mac, s.macAlg, s.macKey = hmac.New(newHash, []byte(secret)), alg, secret
	return s.mac
}

// param is one decoded query parameter: dec[k0:k1] = dec[v0:v1].
type param struct{ k0, k1, v0, v1 int }

// header is a lower-cased header name with its received values.
type header struct {
	name string
	vals []string
}

// maxPooled caps the buffers returned to the pool so that one huge request
// does not pin memory for the life of the process.
const maxPooled = 64 << 10

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.buf) > maxPooled || cap(s.dec) > maxPooled || cap(s.params) > maxPooled/32 {
		return
	}
	s.buf, s.dec = s.buf[:0], s.dec[:0]
	clear(s.hdrs) // drop references to request strings
	clear(s.vals)
	s.params, s.hdrs, s.vals = s.params[:0], s.hdrs[:0], s.vals[:0]
	scratchPool.Put(s)
}

func (s *scratch) key(p param) []byte { return s.dec[p.k0:p.k1] }
func (s *scratch) val(p param) []byte { return s.dec[p.v0:p.v1] }

var errBadQuery = errors.New("malformed query string")

// maxQueryParams is net/url's limit on query parameters: a query the
// handlers could not parse is not worth sorting either.
const maxQueryParams = 10000

// parseQuery decodes raw (as on the wire: '+' is a space, %XX escapes) into
// s.params sorted by key, then value, in byte order.
func (s *scratch) parseQuery(raw string) error {
	s.params, s.dec = s.params[:0], s.dec[:0]
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if len(s.params) == maxQueryParams {
			return errBadQuery
		}
		k, v, _ := strings.Cut(pair, "=")
		var p param
		var ok bool
		p.k0 = len(s.dec)
		if s.dec, ok = appendUnescape(s.dec, k); !ok {
			return errBadQuery
		}
		p.k1, p.v0 = len(s.dec), len(s.dec)
		if s.dec, ok = appendUnescape(s.dec, v); !ok {
			return errBadQuery
		}
		p.v1 = len(s.dec)
		s.params = append(s.params, p)
	}
	slices.SortFunc(s.params, func(a, b param) int {
		if c := bytes.Compare(s.key(a), s.key(b)); c != 0 {
			return c
		}
		return bytes.Compare(s.val(a), s.val(b))
	})
	return nil
}

// appendUnescape is url.QueryUnescape writing into dst.
func appendUnescape(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			dst = append(dst, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return dst, false
			}
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

const upperHex = "0123456789ABCDEF"

// appendSDKReplace applies the SDK's post-escaping substitutions
// ('+'→"%20", '*'→"%2A", "%7E"→'~'), which ACS3 applies to the canonical
// URI and to the whole canonical query, keys included.
func appendSDKReplace[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			dst = append(dst, "%20"...)
		case c == '*':
			dst = append(dst, "%2A"...)
		case c == '%' && i+2 < len(s) && s[i+1] == '7' && s[i+2] == 'E':
			dst = append(dst, '~')
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendQueryEscape is url.QueryEscape followed by appendSDKReplace: every
// byte but A-Z a-z 0-9 - _ . ~ becomes %XX, a space %20.
func appendQueryEscape(dst, s []byte) []byte {
	for _, c := range s {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// headerValues returns the values of the header named lname (lower case),
// or nil when it is absent. A header sent with an empty value is present.
func headerValues(h http.Header, lname string) []string {
	var buf [64]byte
	if len(lname) <= len(buf) {
		// The server stores canonical keys; building the key on the
		// stack keeps the lookup allocation-free.
		if v, ok := h[string(appendCanonicalKey(buf[:0], lname))]; ok {
			return v
		}
	}
	if v, ok := h[lname]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, lname) {
			return v
		}
	}
	return nil
}

// headerValue returns the first value of the header named lname, "" when absent.
func headerValue(h http.Header, lname string) string {
	if v := headerValues(h, lname); len(v) > 0 {
		return v[0]
	}
	return ""
}

// appendCanonicalKey is textproto.CanonicalMIMEHeaderKey for a header name
// made of letters, digits and '-'.
func appendCanonicalKey(dst []byte, s string) []byte {
	upper := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

// acsHeaderNames maps the canonical form of the x-acs-* headers that real
// clients send to their lower-case form, so that lower-casing them does not
// allocate.
var acsHeaderNames = func() map[string]string {
	m := make(map[string]string)
	for _, n := range []string{
		"x-acs-accesskey-id", "x-acs-action", "x-acs-bearer-token",
		"x-acs-content-sha256", "x-acs-credentials-provider", "x-acs-date",
		"x-acs-proxy-secure-transport", "x-acs-proxy-source-ip",
		"x-acs-region-id", "x-acs-secure-transport", "x-acs-security-token",
		"x-acs-signature-method", "x-acs-signature-nonce",
		"x-acs-signature-type", "x-acs-signature-version", "x-acs-source-ip",
		"x-acs-version",
	} {
		m[string(appendCanonicalKey(nil, n))] = n
	}
	return m
}()

// collectACSHeaders fills s.hdrs with every x-acs-* header of h, names
// lower-cased, sorted by name; of several keys that lower-case alike (which
// net/http never produces) one is kept.
func (s *scratch) collectACSHeaders(h http.Header) {
	s.hdrs = s.hdrs[:0]
	for k, v := range h {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-acs-") {
			continue
		}
		name, ok := acsHeaderNames[k]
		if !ok {
			name = strings.ToLower(k)
		}
		s.hdrs = append(s.hdrs, header{name: name, vals: v})
	}
	slices.SortFunc(s.hdrs, func(a, b header) int { return strings.Compare(a.name, b.name) })
	s.hdrs = slices.CompactFunc(s.hdrs, func(a, b header) bool { return a.name == b.name })
}
