package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWatchOnTerminal runs the built binary's "upgrade watch" inside tmux,
// on a real terminal 100 columns wide, during a simulated upgrade, and
// reads the screen: a progress bar with partial progress redrawn in place,
// then the outcome. With ACKUP_RECORD_WATCH=FILE it writes the screens it
// saw to FILE (docs/cli.md shows such a recording).
func TestWatchOnTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("tmux is not installed")
		}
		t.Fatal("tmux is not installed; CI must install it for this test")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "ackup")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// At speed 200 the control plane takes 2.4s and each node about 1.2s,
	// and the drain of the second node is held for another 1.5s: the
	// upgrade runs for several seconds.
	e := startServer(t, 200)
	id := e.createCluster("--name", "tty", "--version", "1.33.1-aliyun.1", "--nodes", "4",
		"--fault", "drain-blocked=2", "--fault", "drain-blocked-seconds=300")
	e.ok("upgrade", "start", id, "--to", "1.33.3-aliyun.1")

	sock := filepath.Join(dir, "tmux.sock")
	tm := func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	words := append([]string{bin, "upgrade", "watch", id, "--interval", "200ms"}, e.connArgs()...)
	script := strings.Join(words, " ") + "; echo EXIT=$?; sleep 600"
	if out, err := tm("new-session", "-d", "-x", "100", "-y", "30", script); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })

	partial := regexp.MustCompile(`(?m)^default-nodepool +\[=+>?-*\] +([1-3])/4 nodes`)
	var partialScreen, blockedScreen, finalScreen string
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for finalScreen == "" {
		if time.Now().After(deadline) {
			screen, _ := tm("capture-pane", "-p")
			t.Fatalf("no outcome on the screen in time; it shows:\n%s", screen)
		}
		<-tick.C
		screen, err := tm("capture-pane", "-p")
		if err != nil {
			t.Fatalf("tmux capture-pane: %v\n%s", err, screen)
		}
		switch {
		case strings.Contains(screen, "EXIT="):
			finalScreen = screen
		case partial.MatchString(screen):
			if partialScreen == "" {
				partialScreen = screen
			}
			if blockedScreen == "" && strings.Contains(screen, "Blocked: ") {
				blockedScreen = screen
			}
		}
	}
	if partialScreen == "" {
		t.Fatalf("never saw a bar with partial progress; the final screen:\n%s", finalScreen)
	}
	// Redrawn in place: the pool's bar is on the screen once, not once per
	// refresh.
	if n := strings.Count(partialScreen, "default-nodepool "); n != 1 {
		t.Errorf("the pool's bar appears %d times; the view is not redrawn in place:\n%s", n, partialScreen)
	}
	for _, want := range []string{"Upgrading cluster " + id + " to 1.33.3-aliyun.1", "In flight: cn-hangzhou."} {
		if !strings.Contains(partialScreen, want) {
			t.Errorf("the live view lacks %q:\n%s", want, partialScreen)
		}
	}
	for _, want := range []string{"upgrade succeeded: cluster " + id + " reached 1.33.3-aliyun.1", "4/4 nodes", "EXIT=0"} {
		if !strings.Contains(finalScreen, want) {
			t.Errorf("the final screen lacks %q:\n%s", want, finalScreen)
		}
	}
	if path := os.Getenv("ACKUP_RECORD_WATCH"); path != "" {
		trim := func(s string) string { return strings.TrimRight(s, "\n") + "\n" }
		rec := "--- during the upgrade\n" + trim(partialScreen)
		if blockedScreen != "" {
			rec += "--- while a drain is blocked\n" + trim(blockedScreen)
		}
		rec += "--- at the end\n" + trim(finalScreen)
		if err := os.WriteFile(path, []byte(rec), 0o644); err != nil {
			t.Error(err)
		}
	}
}
