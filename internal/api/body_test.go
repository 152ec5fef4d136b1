package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// slowBodyServer serves the API on loopback with an Authenticate that
// reads the body (as one must when a signature covers it), and signals on
// entered each time a request's body read waits for more bytes: by then
// its buffer is allocated.
func slowBodyServer(t *testing.T, cfg Config, entered chan<- struct{}) *httptest.Server {
	t.Helper()
	cfg.Backend = newFakeBackend()
	cfg.Logger = discardLogger()
	cfg.Authenticate = func(_ context.Context, r *AuthRequest) (string, error) {
		if r.Header.Get("Authorization") == "" {
			return "", &AuthError{Code: "IncompleteSignature"}
		}
		if _, err := r.ReadBody(); err != nil {
			return "", err
		}
		return testAccount, nil
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	inner := WithBodyDeadline(h, 3*time.Second)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &waitSignal{ReadCloser: r.Body, entered: entered}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// waitSignal signals on its second Read: the first returned the bytes the
// client sent, the second waits for more.
type waitSignal struct {
	io.ReadCloser
	entered chan<- struct{}
	reads   int
}

func (w *waitSignal) Read(p []byte) (int, error) {
	if w.reads++; w.reads == 2 {
		w.entered <- struct{}{}
	}
	return w.ReadCloser.Read(p)
}

// openSlow sends the headers of a POST declaring a 1 MiB body, and the
// first few bytes of it, and leaves the connection open.
func openSlow(t *testing.T, addr, auth string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /clusters HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: application/json\r\n"+
		"Authorization: %s\r\nContent-Length: %d\r\n\r\n{\"name\":", auth, 1<<20)
	return c
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestTrickledBodyDoesNotAllocateItsContentLength: 32 connections declare
// 1 MiB bodies and send a few bytes. While all of them are being read, the
// heap holds far less than 32 MiB: the buffer grows as bytes arrive, not to
// the Content-Length up front.
func TestTrickledBodyDoesNotAllocateItsContentLength(t *testing.T) {
	const conns = 32
	entered := make(chan struct{}, conns)
	srv := slowBodyServer(t, Config{AuthBodyReads: conns}, entered)
	addr := srv.Listener.Addr().String()
	before := heapInUse()
	for range conns {
		openSlow(t, addr, testAccount)
	}
	for range conns {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the requests did not all wait for their bodies")
		}
	}
	after := heapInUse()
	grown := after - min(before, after)
	if grown > conns*128<<10 {
		t.Fatalf("heap grew by %d KiB for %d slow 1 MiB bodies, want under %d KiB", grown>>10, conns, conns*128)
	}
	t.Logf("heap grew by %d KiB for %d slow 1 MiB bodies", grown>>10, conns)
}

// TestSlowBodyIsCutAtTheDeadline: a body that stops arriving is answered
// 400 once the body read deadline passes, not held open.
func TestSlowBodyIsCutAtTheDeadline(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 1)
	srv := slowBodyServer(t, Config{}, entered)
	c := openSlow(t, srv.Listener.Addr().String(), testAccount)
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusBadRequest || took < 2*time.Second || took > 8*time.Second {
		t.Fatalf("answered %d after %v, want 400 after the 3 s deadline", resp.StatusCode, took)
	}
}

// TestRefusedRequestIsAnsweredWithoutItsBody: a request Authenticate
// refuses from its headers is answered at once, without the server waiting
// for (or draining) the body it declared, and its connection is closed.
func TestRefusedRequestIsAnsweredWithoutItsBody(t *testing.T) {
	t.Parallel()
	srv := slowBodyServer(t, Config{}, make(chan struct{}, 1))
	for _, n := range []int{1 << 20, 100} { // past and within net/http's 256 KiB drain
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /clusters HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Length: %d\r\n\r\n", n)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("Content-Length %d: no answer within 2 s: %v", n, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !resp.Close {
			t.Fatalf("Content-Length %d: %d, close %v; want 400 and the connection closed", n, resp.StatusCode, resp.Close)
		}
		if _, err := br.ReadByte(); err == nil {
			t.Fatalf("Content-Length %d: the connection stayed open", n)
		}
	}
}

// TestAuthBodyReadsBound: past Config.AuthBodyReads bodies being read for
// authentication, a request is answered 503 ServiceUnavailable at once.
func TestAuthBodyReadsBound(t *testing.T) {
	t.Parallel()
	const bound = 3
	entered := make(chan struct{}, bound+1)
	srv := slowBodyServer(t, Config{AuthBodyReads: bound}, entered)
	addr := srv.Listener.Addr().String()
	for range bound {
		openSlow(t, addr, testAccount)
		<-entered
	}
	c := openSlow(t, addr, testAccount)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(b.String(), `"code":"ServiceUnavailable"`) {
		t.Fatalf("over the bound: %d %s", resp.StatusCode, b.String())
	}
}
