package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Profiler serves Go's runtime profiles (net/http/pprof) on an admin
// address of its own. It is never mounted on the API address: profiles
// reveal the process's internals and are served without authentication,
// so they belong on a loopback or otherwise private listener.
type Profiler struct {
	srv *http.Server
	ln  net.Listener
}

// StartProfiler listens on addr and serves /debug/pprof/ there until
// Close.
func StartProfiler(addr string, logger *slog.Logger) (*Profiler, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for profiles on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p := &Profiler{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}}
	go func() { _ = p.srv.Serve(ln) }() // returns ErrServerClosed on Close
	return p, nil
}

// Addr returns the address profiles are served on.
func (p *Profiler) Addr() string { return p.ln.Addr().String() }

// Close stops serving profiles; a profile being taken is cut short.
func (p *Profiler) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		return p.srv.Close()
	}
	return nil
}
