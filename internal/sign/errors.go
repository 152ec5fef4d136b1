package sign

import "errors"

// Code is the kind of a verification failure. The HTTP layer maps each Code
// to an ACK gateway error code and HTTP status; the string value is that
// gateway code.
type Code string

// The failure kinds Verify reports through *Error.
const (
	// CodeIncomplete: no or malformed Authorization, a signed or required
	// header missing, a missing or unreadable date.
	CodeIncomplete Code = "IncompleteSignature"
	// CodeMismatch: wrong signature, or x-acs-content-sha256 / Content-MD5
	// not matching the body.
	CodeMismatch Code = "SignatureDoesNotMatch"
	// CodeExpired: x-acs-date or Date more than Verifier.Window from now.
	CodeExpired Code = "InvalidTimeStamp.Expired"
	// CodeNonceUsed: the signature nonce was seen before within the window.
	CodeNonceUsed Code = "SignatureNonceUsed"
	// CodeThrottling: the server holds as many live nonces as it may
	// (MemoryNonces' cap) and refuses new ones until some expire.
	CodeThrottling Code = "Throttling"
	// CodeKeyNotFound: the AccessKey id is unknown.
	CodeKeyNotFound Code = "InvalidAccessKeyId.NotFound"
	// CodeKeyInactive: the AccessKey exists but is disabled.
	CodeKeyInactive Code = "InvalidAccessKeyId.Inactive"
)

// Messages a client sees, worded like ACK's gateway.
const (
	msgMismatch      = "Specified signature is not matched with our calculation."
	msgExpired       = "Specified time stamp or date value is expired."
	msgBadDate       = "Specified time stamp or date value is not well formatted."
	msgNonceUsed     = "Specified signature nonce was used already."
	msgNonceCapacity = "Request was denied due to request throttling: the server holds as many signature nonces as it may; retry later."
	msgKeyNotFound   = "Specified access key is not found."
	msgKeyInactive   = "Specified access key is disabled."
	msgNoAuth        = "The request is not signed: the Authorization header is missing."
	msgBadAuth       = "The Authorization header is not well formatted."
	msgAlgorithm     = "The signature algorithm is not supported; use ACS3-HMAC-SHA256, ACS3-HMAC-SM3 or the ROA acs form."
)

// Error is a verification failure to be reported to the client. Message is
// written for the client and never contains a secret.
type Error struct {
	Code    Code
	Message string
}

// Error implements error.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// ErrKeyNotFound is returned by a Keys implementation for an unknown
// AccessKey id.
var ErrKeyNotFound = errors.New("sign: access key not found")

// ErrNonceUsed is returned by a Nonces implementation when the (AccessKey id,
// nonce) pair was already used within its window.
var ErrNonceUsed = errors.New("sign: signature nonce already used")

func incomplete(msg string) *Error { return &Error{Code: CodeIncomplete, Message: msg} }

// mismatch reports a wrong signature and, like the real gateway, echoes the
// string the server signed so that a client author can compare.
func mismatch(stringToSign string) *Error {
	return &Error{Code: CodeMismatch, Message: msgMismatch + " server string to sign is:" + stringToSign}
}
