package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Response is a captured HTTP response: what the bare handler answers.
type Response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

// captureResponse sends r and keeps the status, the headers a handler
// writes (not those net/http adds) and the body.
func captureResponse(rt http.RoundTripper, r *http.Request) (Response, error) {
	resp, err := rt.RoundTrip(r)
	if err != nil {
		return Response{}, fmt.Errorf("bench: send a first request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("bench: read the first response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Response{}, fmt.Errorf("bench: GetUpgradeStatus answered %s: %s", resp.Status, body)
	}
	h := resp.Header.Clone()
	for _, k := range []string{"Date", "Content-Length", "Connection", "Keep-Alive"} {
		h.Del(k)
	}
	return Response{Status: resp.StatusCode, Header: h, Body: string(body)}, nil
}

// BareHandler is the floor: a net/http handler that answers every request
// with resp's bytes, reading nothing and checking nothing (no signature, no
// store). Served by the same net/http server as ackup, its throughput is
// the most any implementation can reach on the same machine.
func BareHandler(resp Response) http.Handler {
	header, body := resp.Header.Clone(), []byte(resp.Body)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v // shared, never modified
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(body)
	})
}

// BareServer serves a BareHandler on a loopback listener.
type BareServer struct {
	srv *http.Server
	ln  net.Listener
}

// ServeBare listens on addr ("127.0.0.1:0" for a free port) and serves h
// with the HTTP server settings ackup's server uses.
func ServeBare(addr string, h http.Handler) (*BareServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bench: listen for the bare handler: %w", err)
	}
	b := &BareServer{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}}
	go func() { _ = b.srv.Serve(ln) }() // ErrServerClosed on Close
	return b, nil
}

// Addr returns the address the bare handler listens on.
func (b *BareServer) Addr() string { return b.ln.Addr().String() }

// Close stops the bare server.
func (b *BareServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return b.srv.Shutdown(ctx)
}
