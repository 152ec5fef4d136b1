package main

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store/postgres/pgtest"
)

// lockedBuffer is a bytes.Buffer written by the server's logger and read
// by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The start-up line logged the PostgreSQL URL with its password.
func TestServerLogRedactsDatabasePassword(t *testing.T) {
	u, err := url.Parse(pgtest.Schema(t, "ackup_cmd_test_"))
	if err != nil {
		t.Fatal(err)
	}
	const password = "hunter2-not-for-logs"
	u.User = url.UserPassword(u.User.Username(), password) // the test server trusts, so any password works
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"server", "--addr", "127.0.0.1:0", "--db", u.String(),
			"--key-file", filepath.Join(t.TempDir(), "ackup.key")}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "ackup serving") {
		select {
		case code := <-done:
			t.Fatalf("server exited with %d:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the log with a deadline
	}
	cancel()
	<-done
	logs := stderr.String() + stdout.String()
	if strings.Contains(logs, password) {
		t.Fatalf("the password is in the server's output:\n%s", logs)
	}
	if !strings.Contains(logs, "xxxxx@") {
		t.Fatalf("the start-up line does not show the redacted URL:\n%s", logs)
	}
}
