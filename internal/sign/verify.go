// Package sign verifies ACK (Alibaba Cloud ROA) request signatures:
// ACS3-HMAC-SHA256, ACS3-HMAC-SM3 and the legacy ROA HMAC-SHA1 in its three
// client variants.
//
// A Verifier checks, in this order: the Authorization header parses
// (IncompleteSignature), the AccessKey exists and is active
// (InvalidAccessKeyId.*), the signature and body digest match
// (SignatureDoesNotMatch), the request date is within the window
// (InvalidTimeStamp.Expired), and the nonce is fresh (SignatureNonceUsed).
// Only a correctly signed request in its time window consumes a nonce, so a
// forger cannot burn the nonces of legitimate clients.
//
// A request whose body has not been read yet (Request.ReadBody) is checked
// from its headers first: the ACS3 signature covers the body through the
// digest in x-acs-content-sha256 and the legacy one through Content-MD5 (or
// not at all), so the signature, date and nonce are verified against the
// digest the client claims, and only then is the body read and held to that
// digest. A request without a valid signature never has its body read.
//
// The rules follow docs/wire.md ("Signatures"),
// which were derived from the official Go SDK (darabonba-openapi v2.1.14)
// and the other real clients.
package sign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// DefaultWindow is how far a request's date may be from the server's clock,
// ACK's published 15 minutes.
const DefaultWindow = 15 * time.Minute

// Request is what the verifier needs from an HTTP request. The HTTP layer
// fills it from *http.Request: Host from r.Host, RawPath from
// r.URL.EscapedPath(), RawQuery from r.URL.RawQuery, Header from r.Header,
// and either Body from the bytes it has read once or ReadBody.
type Request struct {
	Method   string
	Host     string // r.Host, as the client sent it (with :port if any)
	RawPath  string // escaped path as received
	RawQuery string // query as received, without '?'
	Header   http.Header
	Body     []byte
	// ReadBody, when set, reads the body (Body is then ignored). Verify
	// calls it once, after the signature, date and nonce have been checked
	// from the headers, and returns any error it returns unchanged.
	ReadBody func() ([]byte, error)
	// ContentLength is the declared length of a body ReadBody has still to
	// read (-1: unknown, such as chunked). Unused without ReadBody.
	ContentLength int64
}

// hasBody reports whether the request carries a body, as far as the
// headers tell when it has not been read.
func (r *Request) hasBody() bool {
	if r.ReadBody != nil {
		return r.ContentLength != 0
	}
	return len(r.Body) > 0
}

// isWrite reports whether the request may change state: any method but GET
// and HEAD.
func (r *Request) isWrite() bool { return r.Method != http.MethodGet && r.Method != http.MethodHead }

// Keys resolves an AccessKey id to its secret. Secret returns
// ErrKeyNotFound for an unknown id and active false for a disabled key.
type Keys interface {
	Secret(ctx context.Context, accessKeyID string) (secret string, active bool, err error)
}

// Nonces remembers signature nonces. Use records (keyID, nonce) at now and
// returns ErrNonceUsed if the pair was already recorded within the
// implementation's retention window.
//
// A request dated up to Verifier.Window ahead of the server clock is
// accepted until Window after its date, so a replay is impossible only if a
// nonce is retained for 2*Window after its first use; see NewMemoryNonces.
//
// An implementation that keeps nonces beyond the process must have them
// stored when Use returns, unless it also implements WriteNonces: then Use
// is called only for requests that change nothing (GET, HEAD) and may store
// the nonce shortly after returning.
type Nonces interface {
	Use(ctx context.Context, keyID, nonce string, now time.Time) error
}

// WriteNonces is implemented by Nonces that store the nonces of reads
// later: UseWrite is called for requests that may change state and must
// have the nonce stored when it returns, so that a write captured before a
// crash is refused after it.
type WriteNonces interface {
	UseWrite(ctx context.Context, keyID, nonce string, now time.Time) error
}

// Verifier verifies request signatures. Keys and Nonces are required; the
// zero Now is time.Now and the zero Window is DefaultWindow. A Verifier is
// safe for concurrent use.
type Verifier struct {
	Keys   Keys
	Nonces Nonces
	Now    func() time.Time
	Window time.Duration
	// RequireContentMD5 refuses legacy-signed writes that carry a body but
	// no Content-MD5 (IncompleteSignature): without it the legacy signature
	// does not cover the body.
	RequireContentMD5 bool
}

// Verify checks r and returns the AccessKey id that signed it. A request the
// client must fix yields a *Error; any other error is an internal failure,
// such as a store error from Keys or Nonces.
func (v *Verifier) Verify(ctx context.Context, r *Request) (accessKeyID string, err error) {
	if v.Keys == nil || v.Nonces == nil {
		return "", errors.New("sign: Verifier needs both Keys and Nonces")
	}
	a, e := parseAuthorization(headerValue(r.Header, "authorization"))
	if e != nil {
		return "", e
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	s := getScratch()
	defer putScratch(s)
	if a.alg == algROA {
		err = v.verifyROA(ctx, r, &a, s, now())
	} else {
		err = v.verifyACS3(ctx, r, &a, s, now())
	}
	if err != nil {
		return "", err
	}
	return a.keyID, nil
}

// secret looks the key up and turns the outcome into the client's error.
func (v *Verifier) secret(ctx context.Context, keyID string) (string, error) {
	secret, active, err := v.Keys.Secret(ctx, keyID)
	switch {
	case errors.Is(err, ErrKeyNotFound):
		return "", &Error{Code: CodeKeyNotFound, Message: msgKeyNotFound}
	case err != nil:
		return "", fmt.Errorf("sign: look up access key %s: %w", keyID, err)
	case !active:
		return "", &Error{Code: CodeKeyInactive, Message: msgKeyInactive}
	}
	return secret, nil
}

func (v *Verifier) window() time.Duration {
	if v.Window > 0 {
		return v.Window
	}
	return DefaultWindow
}

// checkTime rejects a request dated more than the window away from now.
func (v *Verifier) checkTime(t, now time.Time) error {
	if d, w := now.Sub(t), v.window(); d > w || d < -w {
		return &Error{Code: CodeExpired, Message: msgExpired}
	}
	return nil
}

// useNonce consumes the request's nonce; write says whether the request
// may change state (see WriteNonces).
func (v *Verifier) useNonce(ctx context.Context, keyID, nonce string, now time.Time, write bool) error {
	var err error
	if wn, ok := v.Nonces.(WriteNonces); ok && write {
		err = wn.UseWrite(ctx, keyID, nonce, now)
	} else {
		err = v.Nonces.Use(ctx, keyID, nonce, now)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNonceUsed):
		return &Error{Code: CodeNonceUsed, Message: msgNonceUsed}
	case errors.Is(err, ErrNonceCapacity):
		return &Error{Code: CodeThrottling, Message: msgNonceCapacity}
	default:
		return fmt.Errorf("sign: record signature nonce: %w", err)
	}
}
