package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestReadmeExample runs the README's SDK example against a server and
// checks what it prints, for a known cluster and an unknown one.
func TestReadmeExample(t *testing.T) {
	e := start(t)
	id := e.createCluster(t, e.acs3, "1.33.3-aliyun.1", nil, 1)
	run := func(arg string) (string, error) {
		cmd := exec.Command("go", "run", "github.com/ackup/ackup/examples/status", arg)
		cmd.Env = append(os.Environ(), "ACKUP_ENDPOINT="+e.addr,
			"ALIBABA_CLOUD_ACCESS_KEY_ID="+testKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+testKeySecret)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(id)
	if err != nil || !strings.Contains(out, `status="" upgrade_step="not_start" error_message=""`) {
		t.Fatalf("example printed %q (%v)", out, err)
	}
	out, err = run("c0123456789abcdef0123456789abcdef")
	if err == nil || !strings.Contains(out, "ErrorClusterNotFound") {
		t.Fatalf("example on an unknown cluster printed %q (%v)", out, err)
	}
}
