package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"
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
	// The body is read once, by Authenticate through ReadBody or after it.
	bodyRead bool
	inAuth   bool
	bodyErr  error
	w        http.ResponseWriter
	s        *server
}

// path returns the unescaped value of a path wildcard.
func (c *call) path(name string) string { return c.r.PathValue(name) }

// apiRoute wraps an operation's handler with body reading, authentication
// and parameter validation, and encodes its result.
//
// The body is not read before Authenticate asks for it (AuthRequest.ReadBody),
// so that a request it refuses from the headers alone never costs a body
// buffer; while it authenticates, at most Config.AuthBodyReads bodies are
// read at once (more: 503 ServiceUnavailable). A refused request whose body
// was never read is answered at once and its connection closed, rather than
// the server draining the body first.
func (s *server) apiRoute(op *Operation, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		st.op = op.Name
		if r.ContentLength > maxBodyBytes {
			abandonBody(w, r)
			s.writeError(w, r, errTooLarge)
			return
		}
		c := &call{r: r, op: op, requestID: st.requestID, w: w, s: s, authReq: AuthRequest{Method: r.Method, Host: r.Host,
			RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header,
			ContentLength: r.ContentLength}}
		c.authReq.ReadBody = c.readBody
		c.inAuth = true
		account, err := s.auth(r.Context(), &c.authReq)
		c.inAuth = false
		if err == nil && account == "" {
			err = errors.New("api: Authenticate returned no account and no error")
		}
		if err != nil {
			var ae *AuthError
			if s.authErr != nil && errors.As(err, &ae) {
				s.authErr(ae.Code)
			}
			if !c.bodyRead || c.bodyErr != nil {
				abandonBody(w, r)
			}
			s.writeError(w, r, err)
			return
		}
		st.account, c.account = account, account
		if _, err := c.readBody(); err != nil {
			abandonBody(w, r)
			s.writeError(w, r, err)
			return
		}
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

// readBody reads the request's body once and returns the same bytes (or
// error) on every call. While Authenticate runs, it takes a slot of the
// server's authBodies first.
func (c *call) readBody() ([]byte, error) {
	if c.bodyRead {
		return c.body, c.bodyErr
	}
	c.bodyRead = true
	r := c.r
	if !hasBody(r) {
		return nil, nil
	}
	if c.inAuth && c.s.authBodies != nil {
		select {
		case c.s.authBodies <- struct{}{}:
			defer func() { <-c.s.authBodies }()
		default:
			c.bodyErr = errBodiesBusy
			return nil, c.bodyErr
		}
	}
	c.body, c.bodyErr = readBody(c.w, r)
	return c.body, c.bodyErr
}

func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// abandonBody makes the server close the connection after the response
// instead of reading the rest of a body no one will read: a deadline in the
// past fails the drain at once, and "Connection: close" tells the client.
func abandonBody(w http.ResponseWriter, r *http.Request) {
	if !hasBody(r) {
		return
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// initialBodyBuffer is what readBody allocates up front, whatever the
// Content-Length says: the buffer grows only as bytes arrive, so a client
// that declares 1 MiB and sends nothing costs this much, not 1 MiB.
const initialBodyBuffer = 16 << 10

// readBody reads the whole body, refusing one over maxBodyBytes as soon as
// the limit is passed (MaxBytesReader also makes the server close the
// connection rather than drain the rest). A body that stops arriving is cut
// by the read deadline WithBodyDeadline set.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(min(r.ContentLength, initialBodyBuffer)))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, errBodyTimeout
	case err != nil:
		return nil, &httpError{status: http.StatusBadRequest, code: "InvalidParameter",
			message: "the request body could not be read completely"}
	}
	return buf.Bytes(), nil
}

var (
	// errBodiesBusy: more bodies are being read for authentication than
	// Config.AuthBodyReads allows.
	errBodiesBusy = &httpError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable",
		message: "the server is reading as many request bodies as it allows at once; retry shortly"}
	errBodyTimeout = &httpError{status: http.StatusBadRequest, code: "InvalidParameter",
		message: "the request body did not arrive within the server's body read timeout"}
)

// WithBodyDeadline gives every request with a body d to deliver all of it,
// by a read deadline on its connection, so that a client trickling a body
// holds a connection for at most d, whichever handler gets the request
// (one that never reads the body still has the server drain up to 256 KiB
// of it). The deadline is lifted once the body has been read to its end,
// so that responses that take long are not cut. d <= 0 disables it.
//
// It is a per-request deadline rather than http.Server.ReadTimeout because
// that one stays armed after the body is read, and its expiry cancels the
// request's context.
func WithBodyDeadline(next http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hasBody(r) {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
			next.ServeHTTP(w, r) // a writer without deadlines (tests)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		next.ServeHTTP(w, r2)
	})
}

// deadlineBody lifts the connection's read deadline at the body's end.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
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
