// Package kubetest runs the real thing for tests of the Kubernetes executor:
// etcd and kube-apiserver on free loopback ports (binaries built by
// scripts/kube-testenv.sh), a node agent that plays the kubelets of Node
// objects, and helpers that create the workloads and PodDisruptionBudgets
// drains meet. No scheduler or controller manager runs: pods are created
// bound to nodes, and budget statuses are set by the test.
package kubetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// EnvBin names the environment variable that points at the directory with
// the etcd and kube-apiserver binaries.
const EnvBin = "ACKUP_KUBE_BIN"

// StartTimeout bounds how long Start waits for the API server to be ready.
const StartTimeout = 2 * time.Minute

// BinDir returns the binaries' directory from ACKUP_KUBE_BIN. When it is
// not set the test is skipped, or fails when CI is set: CI must run these
// tests, never skip them.
func BinDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvBin)
	if dir == "" {
		msg := EnvBin + " is not set: build kube-apiserver and etcd with scripts/kube-testenv.sh and set " + EnvBin + " to the directory it prints"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
		}
		t.Skip(msg)
	}
	for _, b := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("%s=%s has no %s binary: %v (run scripts/kube-testenv.sh)", EnvBin, dir, b, err)
		}
	}
	return dir
}

// Server is a running etcd and kube-apiserver. Its admin credential is a
// static token of a system:masters user.
type Server struct {
	// Kubeconfig is an admin kubeconfig for the API server;
	// KubeconfigPath is the same, written to a file.
	Kubeconfig     []byte
	KubeconfigPath string
	// Config and Client talk to the API server as admin.
	Config *rest.Config
	Client kubernetes.Interface
	// URL is the API server's address; Dir holds data, certificates and logs.
	URL string
	Dir string

	procs []*process
}

// process is a child process and the signal of its end.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// Start runs etcd and kube-apiserver from binDir with everything they keep
// under dir, and returns once the API server answers /readyz (or an error,
// with the end of the failing program's log).
func Start(ctx context.Context, binDir, dir string) (_ *Server, err error) {
	s := &Server{Dir: dir}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	m, err := writeMaterial(dir)
	if err != nil {
		return nil, fmt.Errorf("write certificates and keys: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	etcdPeer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	etcd, err := s.spawn("etcd", filepath.Join(binDir, "etcd"),
		"--name=ackup-test",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient, "--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer, "--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=ackup-test="+etcdPeer,
		"--unsafe-no-fsync", "--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	s.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	api, err := s.spawn("kube-apiserver", filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers="+etcdClient,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[2]),
		"--tls-cert-file="+m.cert, "--tls-private-key-file="+m.key,
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+m.tokens,
		"--authorization-mode=AlwaysAllow",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+m.saPub,
		"--service-account-signing-key-file="+m.saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		// No controller manager runs, so nothing creates the default
		// ServiceAccount that this admission plugin insists on.
		"--disable-admission-plugins=ServiceAccount",
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	)
	if err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx, m, etcd, api); err != nil {
		return nil, err
	}
	cfg := &rest.Config{Host: s.URL, BearerToken: adminToken, TLSClientConfig: rest.TLSClientConfig{CAData: m.certPEM}, QPS: 100, Burst: 200}
	if s.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	s.Config = cfg
	s.Kubeconfig, err = clientcmd.Write(*KubeconfigFor(s.URL, m.certPEM, adminToken))
	if err != nil {
		return nil, err
	}
	s.KubeconfigPath = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(s.KubeconfigPath, s.Kubeconfig, 0o600); err != nil {
		return nil, err
	}
	return s, nil
}

// spawn starts a program with its output in dir/name.log.
func (s *Server) spawn(name, bin string, args ...string) (*process, error) {
	log := filepath.Join(s.Dir, name+".log")
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	s.procs = append(s.procs, p)
	return p, nil
}

// waitReady polls /readyz until it answers ok, a program exits, or the
// deadline passes.
func (s *Server) waitReady(ctx context.Context, m material, procs ...*process) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(m.certPEM)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		for _, p := range procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited during start-up; the end of %s:\n%s", p.name, p.log, logTail(p.log))
			default:
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		if resp, err := hc.Do(req); err != nil {
			last = err.Error()
		} else {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(body))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver was not ready within %s (last answer: %s); the end of its log:\n%s",
				StartTimeout, last, logTail(filepath.Join(s.Dir, "kube-apiserver.log")))
		case <-tick.C:
		}
	}
}

// Stop ends the API server, then etcd, and waits for them.
func (s *Server) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	s.procs = nil
}

// logTail returns the last lines of a log file.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Shared starts one Server for a whole test package on first use and
// stops it when the package's TestMain calls Stop.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
	dir  string
}

// Get returns the shared Server, starting it on first use. It skips or
// fails the test as BinDir says when the binaries are not configured.
func (sh *Shared) Get(t testing.TB) *Server {
	t.Helper()
	bin := BinDir(t)
	sh.once.Do(func() {
		sh.dir, sh.err = os.MkdirTemp("", "ackup-kube-")
		if sh.err != nil {
			return
		}
		sh.srv, sh.err = Start(context.Background(), bin, sh.dir)
	})
	if sh.err != nil {
		t.Fatalf("start etcd and kube-apiserver: %v", sh.err)
	}
	return sh.srv
}

// Stop stops the shared Server, if it was started, and removes its files.
func (sh *Shared) Stop() {
	if sh.srv != nil {
		sh.srv.Stop()
	}
	if sh.dir != "" {
		_ = os.RemoveAll(sh.dir)
	}
}

// StartT starts a Server of the test's own, stopped at cleanup.
func StartT(t testing.TB) *Server {
	t.Helper()
	bin := BinDir(t)
	s, err := Start(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatalf("start etcd and kube-apiserver: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}
