package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// ackupBinary builds cmd/ackup once per test process.
func ackupBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ackup-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ackup")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/ackup/ackup/cmd/ackup").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is an `ackup server` running as an OS process.
type proc struct {
	t    *testing.T
	addr string
	args []string
	cmd  *exec.Cmd
	log  *os.File
}

func startProc(t *testing.T, db string, extra ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: freePort(t)}
	p.args = append([]string{"server", "--addr", p.addr, "--db", db}, extra...)
	var err error
	p.log, err = os.CreateTemp(t.TempDir(), "server-*.log")
	if err != nil {
		t.Fatal(err)
	}
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.log.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("server %s log tail:\n%s", p.addr, b)
		}
	})
	return p
}

func (p *proc) start() {
	p.t.Helper()
	p.cmd = exec.Command(ackupBinary(p.t), p.args...)
	p.cmd.Env = append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID="+testKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+testKeySecret)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	eventually(p.t, 30*time.Second, "server ready", func() error {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
}

// kill ends the process with SIGKILL (no clean shutdown) and reaps it.
func (p *proc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
	p.cmd = nil
}

func (p *proc) signal(s syscall.Signal) {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(s)
	}
}

func (p *proc) client() *cs.Client {
	c, err := cs.NewClient(&openapiutil.Config{AccessKeyId: dara.String(testKeyID), AccessKeySecret: dara.String(testKeySecret),
		Endpoint: dara.String(p.addr), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou")})
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}
