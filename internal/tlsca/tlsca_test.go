package tlsca

import (
	"bytes"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func leaf(t *testing.T, r Result) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(r.Certificate.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func caPool(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	return pool
}

func TestEnsureCreatesCAAndCertificateThatVerify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r, err := Ensure(Config{Dir: dir, SANs: []string{"ackup.example.test", "10.1.2.3", " Upper.Example.Test. "}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.CACreated || !r.Issued || r.CAFile != filepath.Join(dir, CAFile) {
		t.Fatalf("result %+v: want a new CA and certificate at %s", r, filepath.Join(dir, CAFile))
	}
	c := leaf(t, r)
	if want := []string{"ackup.example.test", "localhost", "upper.example.test"}; !slices.Equal(c.DNSNames, want) {
		t.Errorf("DNS SANs %v, want %v", c.DNSNames, want)
	}
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	slices.Sort(ips)
	if want := []string{"10.1.2.3", "127.0.0.1", "::1"}; !slices.Equal(ips, want) {
		t.Errorf("IP SANs %v, want %v", ips, want)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "ackup.example.test", "10.1.2.3"} {
		if _, err := c.Verify(x509.VerifyOptions{DNSName: name, Roots: caPool(t, dir), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := c.Verify(x509.VerifyOptions{DNSName: "other.example.test", Roots: caPool(t, dir)}); err == nil {
		t.Error("certificate verifies for a name it does not carry")
	}
	if _, err := c.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: x509.NewCertPool()}); err == nil {
		t.Error("certificate verifies without the CA")
	}
	ca, err := x509.ParseCertificate(mustPEM(t, filepath.Join(dir, CAFile)))
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA || ca.NotAfter.Sub(ca.NotBefore) < 9*365*24*time.Hour || ca.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("CA: IsCA %v, validity %s, key %s; want an ECDSA CA of about 10 years", ca.IsCA, ca.NotAfter.Sub(ca.NotBefore), ca.PublicKeyAlgorithm)
	}
}

func mustPEM(t *testing.T, path string) []byte {
	t.Helper()
	c, _, err := loadPair(path, path[:len(path)-len(".pem")]+"-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	return c.Raw
}

func TestKeyFilesAreMode0600(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Ensure(Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{CAKeyFile: 0o600, KeyFile: 0o600, CAFile: 0o644, CertFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %o, want %o", name, got, want)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestEnsureReusesFilesOnLaterStarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := Ensure(Config{Dir: dir, SANs: []string{"a.example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	ca := mustRead(t, filepath.Join(dir, CAFile))
	// The same names in another order and spelling are the same set.
	again, err := Ensure(Config{Dir: dir, SANs: []string{"A.example.test", "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.CACreated || again.Issued {
		t.Fatalf("second start created %+v, want reuse", again)
	}
	if !bytes.Equal(first.Certificate.Certificate[0], again.Certificate.Certificate[0]) {
		t.Error("server certificate changed without a reason")
	}
	if !bytes.Equal(ca, mustRead(t, filepath.Join(dir, CAFile))) {
		t.Error("CA file rewritten")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEnsureReissuesWhenNamesChangeKeepingTheCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Ensure(Config{Dir: dir, SANs: []string{"a.example.test"}}); err != nil {
		t.Fatal(err)
	}
	ca := mustRead(t, filepath.Join(dir, CAFile))
	r, err := Ensure(Config{Dir: dir, SANs: []string{"b.example.test", "192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.CACreated || !r.Issued {
		t.Fatalf("result %+v: want a re-issued certificate under the same CA", r)
	}
	if !bytes.Equal(ca, mustRead(t, filepath.Join(dir, CAFile))) {
		t.Fatal("CA replaced on a name change; users would have to trust it again")
	}
	c := leaf(t, r)
	if slices.Contains(c.DNSNames, "a.example.test") || !slices.Contains(c.DNSNames, "b.example.test") {
		t.Errorf("DNS SANs %v after the change", c.DNSNames)
	}
	if !slices.ContainsFunc(c.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP("192.0.2.7")) }) {
		t.Errorf("IP SANs %v lack 192.0.2.7", c.IPAddresses)
	}
	if _, err := c.Verify(x509.VerifyOptions{DNSName: "b.example.test", Roots: caPool(t, dir)}); err != nil {
		t.Errorf("re-issued certificate does not verify: %v", err)
	}
}

func TestEnsureReissuesNearExpiry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	first, err := Ensure(Config{Dir: dir, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	end := leaf(t, first).NotAfter
	r, err := Ensure(Config{Dir: dir, Now: func() time.Time { return end.Add(-RenewBefore - time.Hour) }})
	if err != nil || r.Issued {
		t.Fatalf("31 days before expiry: issued %v, err %v; want reuse", r.Issued, err)
	}
	r, err = Ensure(Config{Dir: dir, Now: func() time.Time { return end.Add(-RenewBefore + time.Hour) }})
	if err != nil || !r.Issued {
		t.Fatalf("29 days before expiry: issued %v, err %v; want a new certificate", r.Issued, err)
	}
}

func TestEnsureReissuesACertificateFromAnotherCA(t *testing.T) {
	t.Parallel()
	dir, other := t.TempDir(), t.TempDir()
	if _, err := Ensure(Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(Config{Dir: other}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CertFile, KeyFile} {
		if err := os.WriteFile(filepath.Join(dir, name), mustRead(t, filepath.Join(other, name)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Ensure(Config{Dir: dir})
	if err != nil || !r.Issued {
		t.Fatalf("issued %v, err %v; want a certificate signed by this directory's CA", r.Issued, err)
	}
	if _, err := leaf(t, r).Verify(x509.VerifyOptions{DNSName: "localhost", Roots: caPool(t, dir)}); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureRefusesADamagedCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Ensure(Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, CAFile)
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(Config{Dir: dir}); err == nil {
		t.Fatal("a damaged CA was accepted or silently replaced")
	}
	if string(mustRead(t, ca)) != "not a certificate" {
		t.Fatal("the damaged CA was overwritten")
	}
}

func TestEnsureRejectsBadNames(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"https://x.example.test", "a b", "host:8443"} {
		if _, err := Ensure(Config{Dir: t.TempDir(), SANs: []string{bad}}); err == nil {
			t.Errorf("SAN %q accepted", bad)
		}
	}
}
