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
// The rules follow the wire-contract notes (ack-api.md, sections 5 and 6),
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
// r.URL.EscapedPath(), RawQuery from r.URL.RawQuery, Header from r.Header
// and Body from the bytes it has read once.
type Request struct {
	Method   string
	Host     string // r.Host, as the client sent it (with :port if any)
	RawPath  string // escaped path as received
	RawQuery string // query as received, without '?'
	Header   http.Header
	Body     []byte
}

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
type Nonces interface {
	Use(ctx context.Context, keyID, nonce string, now time.Time) error
}

// Verifier verifies request signatures. Keys and Nonces are required; the
// zero Now is time.Now and the zero Window is DefaultWindow. A Verifier is
// safe for concurrent use.
type Verifier struct {
	Keys   Keys
	Nonces Nonces
	Now    func() time.Time
	Window time.Duration
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

func (v *Verifier) useNonce(ctx context.Context, keyID, nonce string, now time.Time) error {
	err := v.Nonces.Use(ctx, keyID, nonce, now)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNonceUsed):
		return &Error{Code: CodeNonceUsed, Message: msgNonceUsed}
	default:
		return fmt.Errorf("sign: record signature nonce: %w", err)
	}
}
