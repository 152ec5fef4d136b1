package api

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/ackup/ackup/internal/upgrade"
)

// recommendBase is the page that documents every error code; a gateway
// error's Recommend links to the code's anchor on it.
const recommendBase = "https://github.com/ackup/ackup/blob/main/docs/errors.md#"

// errorCode is an ACK error code with its HTTP status.
type errorCode struct {
	code   string
	status int
}

// The one mapping from domain errors to ACK codes (docs/decisions.md,
// Errors; every code is listed in docs/errors.md).
var (
	kindCodes = map[upgrade.Kind]errorCode{
		upgrade.KindInvalid:      {"InvalidParameter", http.StatusBadRequest},
		upgrade.KindMissing:      {"MissingParameter", http.StatusBadRequest},
		upgrade.KindClusterState: {"ErrorClusterState", http.StatusBadRequest},
		upgrade.KindTaskState:    {"ErrorTaskState", http.StatusBadRequest},
		// Not in ACK's documentation; Terraform retries ServiceUnavailable.
		upgrade.KindUnavailable: {"ServiceUnavailable", http.StatusServiceUnavailable},
		// ack-api.md 4.4 (unconfirmed); clusters per account is the one quota.
		upgrade.KindQuota: {"QuotaExceeded.Cluster", http.StatusBadRequest},
	}
	notFoundCodes = map[string]errorCode{
		upgrade.ResCluster:  {"ErrorClusterNotFound", http.StatusNotFound},
		upgrade.ResNodePool: {"ErrorNodePoolNotFound", http.StatusNotFound},
		upgrade.ResTask:     {"ErrorTaskNotFound", http.StatusNotFound},
		upgrade.ResCheck:    {"ErrorCheckNotFound", http.StatusNotFound},
	}
	// notFoundOther is used for a not-found error of a resource the table
	// does not name.
	notFoundOther = errorCode{"NotFound", http.StatusNotFound}
	internal      = errorCode{"InternalError", http.StatusInternalServerError}
)

// codeOf maps a domain error to its code and status.
func codeOf(e *upgrade.Error) errorCode {
	if e.Kind == upgrade.KindNotFound {
		if c, ok := notFoundCodes[e.Resource]; ok {
			return c
		}
		return notFoundOther
	}
	if c, ok := kindCodes[e.Kind]; ok {
		return c
	}
	return internal
}

// Gateway (authentication) codes whose status is not 400.
var gatewayStatus = map[string]int{
	"InvalidAccessKeyId.NotFound": http.StatusNotFound,
	"Forbidden.RAM":               http.StatusForbidden,
}

// Messages for gateway codes an AuthError leaves without one, worded like
// ACK's gateway.
var gatewayMessages = map[string]string{
	"IncompleteSignature":         "The request signature does not conform to Aliyun standards.",
	"SignatureDoesNotMatch":       "Specified signature is not matched with our calculation.",
	"InvalidTimeStamp.Expired":    "Specified time stamp or date value is expired.",
	"SignatureNonceUsed":          "Specified signature nonce was used already.",
	"InvalidAccessKeyId.NotFound": "Specified access key is not found.",
	"InvalidAccessKeyId.Inactive": "Specified access key is disabled.",
	"Throttling.User":             "Request was denied due to user flow control.",
}

const internalMessage = "An internal error occurred; it has been logged with the request id. Quote the request id when reporting it."

// httpError is an error this package raises itself, with its own status.
// gateway selects the capitalised gateway body shape.
type httpError struct {
	status  int
	code    string
	message string
	gateway bool
}

func (e *httpError) Error() string { return e.code + ": " + e.message }

var (
	errTooLarge = &httpError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
		message: "the request body is larger than the limit of 1 MiB (" + strconv.Itoa(maxBodyBytes) + " bytes)"}
	// errPanic answers a recovered panic; the panic itself is logged where
	// it is recovered.
	errPanic = &httpError{status: internal.status, code: internal.code, message: internalMessage}
)

// errorBody is an error response in either shape.
type errorBody struct {
	status    int
	code      string
	message   string
	requestID string
	gateway   bool
	hostID    string // gateway shape only
}

// writeError renders err: gateway-shaped for authentication and routing
// failures, service-shaped otherwise. Anything that is not a client error
// is logged with the request id and sent as InternalError.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errorBody{requestID: RequestID(r.Context())}
	var (
		ae *AuthError
		he *httpError
		ue *upgrade.Error
	)
	switch {
	case errors.As(err, &ae):
		e.gateway, e.code, e.message = true, ae.Code, ae.Message
		e.status = http.StatusBadRequest
		if st, ok := gatewayStatus[e.code]; ok {
			e.status = st
		}
		if e.message == "" {
			e.message = gatewayMessages[e.code]
		}
		if ae.RetryAfter > 0 {
			w.Header().Set("x-acs-retry-after", strconv.FormatInt(ae.RetryAfter.Milliseconds(), 10))
		}
	case errors.As(err, &he):
		e.status, e.code, e.message, e.gateway = he.status, he.code, he.message, he.gateway
	case errors.As(err, &ue):
		c := codeOf(ue)
		e.status, e.code, e.message = c.status, c.code, ue.Message
		if c == internal {
			s.logInternal(r, e.requestID, err)
			e.message = internalMessage
		}
	default:
		s.logInternal(r, e.requestID, err)
		e.status, e.code, e.message = internal.status, internal.code, internalMessage
	}
	if e.gateway {
		e.hostID = hostOnly(r.Host)
	}
	if st := stateFrom(r.Context()); st != nil {
		st.code = e.code
	}
	buf := getBuf()
	defer putBuf(buf)
	if wantsXML(r.Header) {
		writeRaw(w, e.status, xmlErrorContentType, e.appendXML(buf.AvailableBuffer()))
		return
	}
	writeRaw(w, e.status, jsonContentType, e.appendJSON(buf.AvailableBuffer()))
}

func (s *server) logInternal(r *http.Request, requestID string, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
		slog.String("request_id", requestID), slog.String("method", r.Method),
		slog.String("path", r.URL.EscapedPath()), slog.String("error", err.Error()))
}

// recommend returns the documentation link of a gateway code: the anchor is
// the lower-case code without dots, as GitHub renders the heading.
func recommend(code string) string {
	return recommendBase + strings.ReplaceAll(strings.ToLower(code), ".", "")
}

// appendJSON renders the service shape {"code","message","requestId","status",
// "Code","Message","RequestId"} or the gateway shape {"Code","Message","RequestId","HostId","Recommend"}.
func (e *errorBody) appendJSON(b []byte) []byte {
	if e.gateway {
		b = append(b, `{"Code":`...)
		b = appendJSONString(b, e.code)
		b = append(b, `,"Message":`...)
		b = appendJSONString(b, e.message)
		b = append(b, `,"RequestId":`...)
		b = appendJSONString(b, e.requestID)
		b = append(b, `,"HostId":`...)
		b = appendJSONString(b, e.hostID)
		b = append(b, `,"Recommend":`...)
		b = appendJSONString(b, recommend(e.code))
		return append(b, '}')
	}
	b = append(b, `{"code":`...)
	b = appendJSONString(b, e.code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.message)
	b = append(b, `,"requestId":`...)
	b = appendJSONString(b, e.requestID)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	// The capitalised spelling again, for the legacy alibaba-cloud-sdk-go
	// and the aliyun CLI, which read only these keys (docs/decisions.md, Errors).
	b = append(b, `,"Code":`...)
	b = appendJSONString(b, e.code)
	b = append(b, `,"Message":`...)
	b = appendJSONString(b, e.message)
	b = append(b, `,"RequestId":`...)
	b = appendJSONString(b, e.requestID)
	return append(b, '}')
}

// appendXML renders <Error> with RequestId, (HostId,) Code, Message
// (, Recommend), the form the SDK parses under text/xml;charset=utf-8.
func (e *errorBody) appendXML(b []byte) []byte {
	b = append(b, xmlHeader...)
	b = append(b, "<Error>"...)
	b = appendXMLElement(b, "RequestId", e.requestID)
	if e.gateway {
		b = appendXMLElement(b, "HostId", e.hostID)
	}
	b = appendXMLElement(b, "Code", e.code)
	b = appendXMLElement(b, "Message", e.message)
	if e.gateway {
		b = appendXMLElement(b, "Recommend", recommend(e.code))
	}
	return append(b, "</Error>"...)
}

// hostOnly strips the port from a Host header value.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}
