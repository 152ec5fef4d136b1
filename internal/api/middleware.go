package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strings"
)

// reqState is the per-request record shared by the middleware layers: it
// wraps the ResponseWriter to remember the status, and carries the request
// id, the operation and the authenticated account. One allocation per
// request holds all of it.
type reqState struct {
	http.ResponseWriter
	requestID string
	op        string
	account   string
	code      string // the ACK error code sent, "" on success
	status    int
	wrote     bool
	// idHeader backs the x-acs-request-id header value, saving an allocation.
	idHeader [1]string
}

// WriteHeader records the status and passes it on.
func (st *reqState) WriteHeader(code int) {
	if !st.wrote && code >= 200 {
		st.status, st.wrote = code, true
	}
	st.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and passes the bytes on.
func (st *reqState) Write(b []byte) (int, error) {
	if !st.wrote {
		st.status, st.wrote = http.StatusOK, true
	}
	return st.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (st *reqState) Unwrap() http.ResponseWriter { return st.ResponseWriter }

type stateKey struct{}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// withRequestState gives every request its id, sets x-acs-request-id before
// anything can be written, and puts the request's state in the context.
func (s *server) withRequestState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{ResponseWriter: w, requestID: s.newID()}
		st.idHeader[0] = st.requestID
		w.Header()["X-Acs-Request-Id"] = st.idHeader[:]
		next.ServeHTTP(st, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	})
}

// withRecover turns a panic into a 500 InternalError carrying the request
// id, logs it with the stack, and lets the server go on serving.
func (s *server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			st := stateFrom(r.Context())
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("request_id", st.requestID), slog.String("method", r.Method),
				slog.String("path", r.URL.EscapedPath()), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if !st.wrote {
				s.writeError(w, r, errPanic)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withAccessLog writes one line per request and tells Config.Observe about
// API requests. It works from a deferred call so that a panicking request
// is logged too (with the 500 that withRecover is about to send). Query
// strings and headers are not logged.
func (s *server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logged := s.log.Enabled(r.Context(), slog.LevelInfo)
		if !logged && s.observe == nil {
			next.ServeHTTP(w, r)
			return
		}
		start := s.now()
		completed := false
		defer func() {
			st := stateFrom(r.Context())
			status, code := st.status, st.code
			switch {
			case !completed && !st.wrote:
				status, code = http.StatusInternalServerError, errPanic.code
			case status == 0:
				status = http.StatusOK
			}
			d := s.now().Sub(start)
			if s.observe != nil && st.op != "" {
				s.observe(st.op, code, status, d)
			}
			if logged {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
					slog.Int("status", status), slog.Duration("duration", d),
					slog.String("request_id", st.requestID), slog.String("action", st.op), slog.String("account", st.account))
			}
		}()
		next.ServeHTTP(w, r)
		completed = true
	})
}

// dispatch hands the request to the mux, except for paths the mux would
// answer with a redirect (unclean paths such as /clusters//x or /a/../b):
// those are unknown routes here, since a redirect would be an HTML body.
// The mux matches on the escaped path and unescapes each wildcard segment
// itself, so r.PathValue returns "chk/1 x" for ".../checks/chk%2F1%20x".
func (s *server) dispatch(w http.ResponseWriter, r *http.Request) {
	if r.RequestURI == "*" || !isCleanPath(r.URL.EscapedPath()) {
		s.unknownRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || (strings.HasSuffix(p, "/") && c+"/" == p)
}

// unknownRoute answers what the mux matched with no operation. Like ACK's
// gateway it uses the capitalised gateway shape: 404 InvalidAction.NotFound
// for a path no operation has, 405 UnsupportedHTTPMethod with an Allow header
// when the path exists for other methods.
func (s *server) unknownRoute(w http.ResponseWriter, r *http.Request) {
	if allowed := s.allowedMethods(r); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeError(w, r, &httpError{status: http.StatusMethodNotAllowed, code: "UnsupportedHTTPMethod", gateway: true,
			message: "This http method is not supported for " + r.URL.EscapedPath() + "; allowed: " + strings.Join(allowed, ", ") + "."})
		return
	}
	s.writeError(w, r, &httpError{status: http.StatusNotFound, code: "InvalidAction.NotFound", gateway: true,
		message: "Specified api is not found, please check your url and method."})
}

// allowedMethods lists the methods for which r's path has a route.
func (s *server) allowedMethods(r *http.Request) []string {
	if !isCleanPath(r.URL.EscapedPath()) {
		return nil
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "" && pattern != "/" {
			allowed = append(allowed, m)
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
		}
	}
	slices.Sort(allowed)
	return allowed
}

// handlerFunc is an operation's handler: it decodes c, calls the backend
// and returns the wire value to encode (nil for an empty object).
type handlerFunc func(ctx context.Context, c *call) (any, error)

// call is one authenticated API request as a handler sees it.
type call struct {
	r         *http.Request
	op        *Operation
	body      []byte
	account   string
	requestID string
	query     url.Values
	// authReq is what Authenticate saw; kept here to share the allocation.
	authReq AuthRequest
}

// path returns the unescaped value of a path wildcard.
func (c *call) path(name string) string { return c.r.PathValue(name) }

// apiRoute wraps an operation's handler with body reading, authentication
// and parameter validation, and encodes its result.
func (s *server) apiRoute(op *Operation, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		st.op = op.Name
		body, err := readBody(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		c := &call{r: r, op: op, body: body, requestID: st.requestID, authReq: AuthRequest{Method: r.Method, Host: r.Host,
			RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, RequestURI: r.RequestURI, Header: r.Header, Body: body}}
		account, err := s.auth(r.Context(), &c.authReq)
		if err == nil && account == "" {
			err = errors.New("api: Authenticate returned no account and no error")
		}
		if err != nil {
			var ac authCoder
			if s.authErr != nil && errors.As(err, &ac) {
				s.authErr(ac.AuthCode())
			}
			s.writeError(w, r, err)
			return
		}
		st.account, c.account = account, account
		if err := c.validateParams(); err != nil {
			s.writeError(w, r, err)
			return
		}
		resp, err := h(r.Context(), c)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeSuccess(w, r, op, resp)
	})
}

// readBody reads the whole body, refusing one over maxBodyBytes: by its
// Content-Length before reading anything, else as soon as the limit is
// passed (MaxBytesReader also makes the server close the connection rather
// than drain the rest).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBodyBytes {
		return nil, errTooLarge
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errTooLarge
	case err != nil:
		return nil, &httpError{status: http.StatusBadRequest, code: "InvalidParameter",
			message: "the request body could not be read completely"}
	}
	return buf.Bytes(), nil
}

// healthz answers 200 as long as the process serves HTTP.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, jsonContentType, []byte(`{"status":"ok"}`))
}

// readyz answers 200 when Config.Ready reports no error, else 503; the
// cause goes to the log only.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "not ready",
				slog.String("request_id", RequestID(r.Context())), slog.String("error", err.Error()))
			writeRaw(w, http.StatusServiceUnavailable, jsonContentType, []byte(`{"status":"unavailable"}`))
			return
		}
	}
	writeRaw(w, http.StatusOK, jsonContentType, []byte(`{"status":"ready"}`))
}

// operations serves the route table, unauthenticated: it is a public
// description of the API.
func (s *server) operations(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, jsonContentType, s.opsJSON)
}
