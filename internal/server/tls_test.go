package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/tlsca"
)

func tlsConfig(t *testing.T, dir string) Config {
	t.Helper()
	return Config{Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", DB: filepath.Join(dir, "ackup.db"),
		AccessKeyID: "LTAItlsTestKey0001", AccessKeySecret: "tls-test-secret", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func openClose(t *testing.T, cfg Config) (*Server, error) {
	t.Helper()
	s, err := Open(context.Background(), cfg)
	if err == nil {
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	}
	return s, err
}

func TestTheCAIsAnnouncedOnceAndKeptBesideTheKeyFile(t *testing.T) {
	dir := t.TempDir()
	var first, second strings.Builder
	cfg := tlsConfig(t, dir)
	cfg.Out = &first
	s, err := openClose(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, tlsca.CAFile)
	if s.CAFile() != want {
		t.Errorf("CAFile %q, want %q beside the key file", s.CAFile(), want)
	}
	if !strings.Contains(first.String(), "export SSL_CERT_FILE="+want) {
		t.Errorf("first start printed %q, want the SSL_CERT_FILE line", first.String())
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Out = &second
	s, err = openClose(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(second.String(), "SSL_CERT_FILE") {
		t.Errorf("second start announced the CA again: %q", second.String())
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.TLSAddr() == "" || s.TLSAddr() == s.Addr() {
		t.Fatalf("TLSAddr %q, Addr %q: want a listener of its own", s.TLSAddr(), s.Addr())
	}
}

func TestGivenCertificateFilesAreServed(t *testing.T) {
	dir, certs := t.TempDir(), t.TempDir()
	if _, err := tlsca.Ensure(tlsca.Config{Dir: certs, SANs: []string{"given.example.test"}}); err != nil {
		t.Fatal(err)
	}
	cfg := tlsConfig(t, dir)
	cfg.TLSCertFile, cfg.TLSKeyFile = filepath.Join(certs, tlsca.CertFile), filepath.Join(certs, tlsca.KeyFile)
	var out strings.Builder
	cfg.Out = &out
	s, err := openClose(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.CAFile() != "" || strings.Contains(out.String(), "SSL_CERT_FILE") {
		t.Errorf("CAFile %q, output %q: want no generated CA", s.CAFile(), out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, tlsca.CAFile)); err == nil {
		t.Error("a CA was generated although certificate files were given")
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(filepath.Join(certs, tlsca.CAFile))
	pool.AppendCertsFromPEM(pem)
	conn, err := tls.Dial("tcp", s.TLSAddr(), &tls.Config{RootCAs: pool, ServerName: "given.example.test"})
	if err != nil {
		t.Fatalf("handshake with the given certificate: %v", err)
	}
	conn.Close()
}

func TestBadTLSSettingsAreRefused(t *testing.T) {
	for name, edit := range map[string]func(*Config){
		"cert without key":   func(c *Config) { c.TLSCertFile = "cert.pem" },
		"key without cert":   func(c *Config) { c.TLSKeyFile = "key.pem" },
		"SANs with a cert":   func(c *Config) { c.TLSCertFile, c.TLSKeyFile, c.TLSSANs = "c.pem", "k.pem", []string{"x"} },
		"TLS without listen": func(c *Config) { c.TLSAddr, c.TLSSANs = "", []string{"x.example.test"} },
		"missing cert files": func(c *Config) { c.TLSCertFile, c.TLSKeyFile = "/nonexistent/c.pem", "/nonexistent/k.pem" },
		"a bad SAN":          func(c *Config) { c.TLSSANs = []string{"https://x"} },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := tlsConfig(t, t.TempDir())
			edit(&cfg)
			if _, err := openClose(t, cfg); err == nil {
				t.Fatal("Open accepted the settings")
			}
		})
	}
}
