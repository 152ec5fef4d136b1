// Package tlsca keeps the small certificate authority behind ackup's HTTPS
// listener: a CA made on the first start and a server certificate signed by
// it, both stored beside the server key and reused on later starts.
//
// Clients such as the alicloud Terraform provider speak HTTPS only and
// verify the server against the machine's trust store, so a self-signed
// server certificate will not do; a CA the user trusts once
// (SSL_CERT_FILE=ackup-ca.pem) keeps working while the server certificate
// is re-issued. Everything here is crypto/x509 and crypto/ecdsa from the
// standard library, which is the well-kept library for the job: it is what
// net/http verifies with, and a dependency would add nothing but surface.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File names inside the directory. Keys are written with mode 0600.
const (
	CAFile     = "ackup-ca.pem"
	CAKeyFile  = "ackup-ca-key.pem"
	CertFile   = "ackup-tls.pem"
	KeyFile    = "ackup-tls-key.pem"
	caValidity = 10 * 365 * 24 * time.Hour
	// certValidity is the server certificate's lifetime; it is re-issued
	// within RenewBefore of its end, so a long-running install never sees
	// it expire as long as the server restarts now and then.
	certValidity = 397 * 24 * time.Hour
	// RenewBefore is how close to its expiry a server certificate is
	// re-issued at start.
	RenewBefore = 30 * 24 * time.Hour
)

// DefaultSANs are in every server certificate: the loopback addresses and
// localhost.
var DefaultSANs = []string{"127.0.0.1", "::1", "localhost"}

// Config says where the files live and which names the server certificate
// must carry.
type Config struct {
	// Dir holds the four files. Required.
	Dir string
	// SANs are names beyond DefaultSANs; an IP address becomes an IP SAN,
	// anything else a DNS name.
	SANs []string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Result is what Ensure found or made.
type Result struct {
	// Certificate is the server certificate with its key, for tls.Config.
	Certificate tls.Certificate
	// CAFile is the path of the CA certificate users trust.
	CAFile string
	// CACreated is true when this call made the CA.
	CACreated bool
	// Issued is true when this call (re-)issued the server certificate.
	Issued bool
}

// Ensure loads the CA and server certificate from cfg.Dir, creating the CA
// if it is missing and (re-)issuing the server certificate if it is
// missing, not signed by the CA, carries a different set of names, or
// expires within RenewBefore.
func Ensure(cfg Config) (Result, error) {
	if cfg.Dir == "" {
		return Result{}, errors.New("tlsca: Config.Dir is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sans, err := normalizeSANs(append(slices.Clone(DefaultSANs), cfg.SANs...))
	if err != nil {
		return Result{}, err
	}
	now := cfg.Now()
	res := Result{CAFile: filepath.Join(cfg.Dir, CAFile)}
	ca, caKey, err := loadPair(res.CAFile, filepath.Join(cfg.Dir, CAKeyFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		if ca, caKey, err = createCA(cfg.Dir, now); err != nil {
			return Result{}, err
		}
		res.CACreated = true
	case err != nil:
		return Result{}, err
	}
	certPath, keyPath := filepath.Join(cfg.Dir, CertFile), filepath.Join(cfg.Dir, KeyFile)
	cert, _, err := loadPair(certPath, keyPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Result{}, err
	}
	if err != nil || needsReissue(cert, ca, sans, now) {
		if err := issue(cfg.Dir, ca, caKey, sans, now); err != nil {
			return Result{}, err
		}
		res.Issued = true
	}
	res.Certificate, err = tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return Result{}, fmt.Errorf("tlsca: load server certificate: %w", err)
	}
	return res, nil
}

// normalizeSANs canonicalises names (IPs in their standard form, DNS names
// in lower case), drops duplicates and sorts them, so two sets compare
// equal when they name the same things.
func normalizeSANs(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if ip := net.ParseIP(n); ip != nil {
			out = append(out, ip.String())
			continue
		}
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if strings.ContainsAny(n, " /:@") {
			return nil, fmt.Errorf("tlsca: %q is neither an IP address nor a DNS name", n)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// certSANs is the normalised name set a certificate carries.
func certSANs(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	out, _ := normalizeSANs(names)
	return out
}

func needsReissue(cert, ca *x509.Certificate, sans []string, now time.Time) bool {
	if cert.CheckSignatureFrom(ca) != nil {
		return true
	}
	if cert.NotAfter.Sub(now) < RenewBefore || now.Before(cert.NotBefore) {
		return true
	}
	return !slices.Equal(certSANs(cert), sans)
}

func createCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"ackup"}, CommonName: "ackup local CA " + host},
		NotBefore:             now.Add(-time.Hour), // tolerate clocks a little behind
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: create CA: %w", err)
	}
	if err := writePair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile), der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func issue(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, sans []string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := serialNumber()
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"ackup"}, CommonName: "ackup server"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range sans {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("tlsca: issue server certificate: %w", err)
	}
	return writePair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile), der, key)
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

// loadPair reads a PEM certificate and its PEM EC key. A missing file is
// reported as os.ErrNotExist; anything unreadable otherwise is an error,
// never silently replaced, so a damaged CA cannot be swapped for a new one
// that clients do not trust.
func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("tlsca: %s holds no PEM certificate", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: parse %s: %w", certPath, err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, fmt.Errorf("tlsca: %s holds no PEM key", keyPath)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: parse %s: %w", keyPath, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("tlsca: %s does not match %s", keyPath, certPath)
	}
	return cert, key, nil
}

// writePair writes the key (mode 0600) and then the certificate (0644),
// each through a temporary file and a rename so a crash never leaves half
// a file.
func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("tlsca: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("tlsca: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("tlsca: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("tlsca: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tlsca: write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("tlsca: %w", err)
	}
	return nil
}
