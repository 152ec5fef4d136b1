package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/server"
)

// withTLS adds the HTTPS listener on a free loopback port, with the
// generated CA.
func withTLS() envOpt { return func(c *server.Config) { c.TLSAddr = "127.0.0.1:0" } }

// httpsClient is an SDK client over HTTPS to the TLS listener, signing
// with ACS3 like the Terraform provider.
func (e *env) httpsClient(t *testing.T) *cs.Client {
	t.Helper()
	c, err := cs.NewClient(&openapiutil.Config{AccessKeyId: dara.String(testKeyID), AccessKeySecret: dara.String(testKeySecret),
		Endpoint: dara.String(e.srv.TLSAddr()), Protocol: dara.String("https"), RegionId: dara.String("cn-hangzhou")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// trustCA is the SDK's runtime option that makes it trust the server's CA,
// the in-process equivalent of SSL_CERT_FILE (which the standard library
// reads once per process; TestHTTPSTrustedThroughSSLCertFile covers it).
func (e *env) trustCA(t *testing.T) *dara.RuntimeOptions {
	t.Helper()
	pem, err := os.ReadFile(e.srv.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	return &dara.RuntimeOptions{Ca: dara.String(string(pem))}
}

func TestHTTPSWithTheSDK(t *testing.T) {
	e := start(t, withTLS())
	if e.srv.CAFile() == "" || filepath.Base(e.srv.CAFile()) != "ackup-ca.pem" {
		t.Fatalf("CAFile %q, want the generated ackup-ca.pem", e.srv.CAFile())
	}
	c, rt := e.httpsClient(t), e.trustCA(t)
	created, err := c.CreateClusterWithOptions(&cs.CreateClusterRequest{Name: dara.String("over-https"), RegionId: dara.String("cn-hangzhou"),
		ClusterType: dara.String("ManagedKubernetes"), KubernetesVersion: dara.String("1.32.7-aliyun.1")}, map[string]*string{}, rt)
	if err != nil {
		t.Fatalf("CreateCluster over HTTPS: %v", err)
	}
	id := dara.StringValue(created.Body.ClusterId)
	st, err := c.GetUpgradeStatusWithOptions(dara.String(id), map[string]*string{}, rt)
	if err != nil {
		t.Fatalf("GetUpgradeStatus over HTTPS: %v", err)
	}
	if dara.StringValue(st.Body.UpgradeStep) == "" && dara.StringValue(st.Body.Status) == "" {
		t.Errorf("empty status body %+v", st.Body)
	}
	// The plain listener serves the same engine and store.
	d, err := e.acs3.DescribeClusterDetail(dara.String(id))
	if err != nil || dara.StringValue(d.Body.Name) != "over-https" {
		t.Fatalf("the cluster made over HTTPS, read over HTTP: %v %+v", err, d)
	}
	_, err = c.GetUpgradeStatusWithOptions(dara.String("c-unknown"), map[string]*string{}, rt)
	sdkErr(t, err, "ErrorClusterNotFound", 404)

	// Without the CA the SDK must refuse the server, as a client should.
	if os.Getenv("SSL_CERT_FILE") == "" {
		_, err = c.GetUpgradeStatus(dara.String(id))
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) && (err == nil || !strings.Contains(err.Error(), "certificate")) {
			t.Fatalf("a client that does not trust the CA got %v, want a certificate error", err)
		}
	}
}

func TestHTTPSServesHTTP2AndOnlyTLS12AndNewer(t *testing.T) {
	e := start(t, withTLS())
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(e.srv.CAFile())
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("read CA: %v", err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	for _, path := range []string{"/healthz", "/metrics", "/console"} {
		resp, err := hc.Get("https://" + e.srv.TLSAddr() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
			t.Errorf("GET %s: %s over %s, want 200 over HTTP/2", path, resp.Status, resp.Proto)
		}
	}
	// localhost is a SAN too.
	port := e.srv.TLSAddr()[strings.LastIndexByte(e.srv.TLSAddr(), ':'):]
	resp, err := hc.Get("https://localhost" + port + "/healthz")
	if err != nil {
		t.Fatalf("GET via localhost: %v", err)
	}
	resp.Body.Close()
	old := &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11, ServerName: "127.0.0.1"}
	if conn, err := tls.Dial("tcp", e.srv.TLSAddr(), old); err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
	// The plain listener is still plain HTTP.
	plain, err := http.Get("http://" + e.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if plain.StatusCode != http.StatusOK || plain.ProtoMajor != 1 {
		t.Errorf("plain listener: %s %s", plain.Status, plain.Proto)
	}
}

// TestHTTPSTrustedThroughSSLCertFile is the Terraform provider's path: no
// CA option, only the machine's trust store, which SSL_CERT_FILE replaces,
// for both of its CS clients (the SDK and aliyungo).
// The standard library reads it once per process, so the SDK call runs in
// a child test process.
func TestHTTPSTrustedThroughSSLCertFile(t *testing.T) {
	if addr := os.Getenv("ACKUP_E2E_HTTPS_CHILD"); addr != "" {
		c, err := cs.NewClient(&openapiutil.Config{AccessKeyId: dara.String(testKeyID), AccessKeySecret: dara.String(testKeySecret),
			Endpoint: dara.String(addr), Protocol: dara.String("https"), RegionId: dara.String("cn-hangzhou")})
		if err != nil {
			t.Fatal(err)
		}
		id := os.Getenv("ACKUP_E2E_HTTPS_CLUSTER")
		if _, err := c.DescribeClusterDetail(dara.String(id)); err != nil {
			t.Fatalf("DescribeClusterDetail trusting SSL_CERT_FILE: %v", err)
		}
		if err := checkLegacyOverHTTPS(addr, id); err != nil {
			t.Fatalf("aliyungo trusting SSL_CERT_FILE: %v", err)
		}
		return
	}
	e := start(t, withTLS())
	id := e.createCluster(t, e.acs3, "1.32.7-aliyun.1", nil, 1)
	run := func(certFile string) ([]byte, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHTTPSTrustedThroughSSLCertFile$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ACKUP_E2E_HTTPS_CHILD="+e.srv.TLSAddr(), "ACKUP_E2E_HTTPS_CLUSTER="+id,
			"SSL_CERT_FILE="+certFile, "SSL_CERT_DIR="+t.TempDir())
		return cmd.CombinedOutput()
	}
	if out, err := run(e.srv.CAFile()); err != nil {
		t.Fatalf("child trusting the CA failed: %v\n%s", err, out)
	}
	other := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(other); err == nil {
		t.Fatalf("child trusting nothing succeeded:\n%s", out)
	}
}
