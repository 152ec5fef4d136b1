package kubetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// adminToken is the static token of the test API server's admin (a member
// of system:masters). The server listens on loopback only and lives as long
// as one test run.
const adminToken = "ackup-test-admin-token"

// material is what the API server is started with, as files.
type material struct {
	cert, key    string
	certPEM      []byte
	saKey, saPub string
	tokens       string
}

// writeMaterial generates a self-signed serving certificate for 127.0.0.1
// and localhost, a service-account signing key pair and the token file.
func writeMaterial(dir string) (m material, err error) {
	write := func(name string, data []byte) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, data, 0o600)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return m, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "ackup-test-kube-apiserver"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return m, err
	}
	m.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return m, err
	}
	var certPath, keyPath string
	if certPath, err = write("serving.crt", m.certPEM); err != nil {
		return m, err
	}
	if keyPath, err = write("serving.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})); err != nil {
		return m, err
	}
	m.cert, m.key = certPath, keyPath

	sa, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return m, err
	}
	saDER, err := x509.MarshalECPrivateKey(sa)
	if err != nil {
		return m, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return m, err
	}
	if m.saKey, err = write("sa.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: saDER})); err != nil {
		return m, err
	}
	if m.saPub, err = write("sa.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})); err != nil {
		return m, err
	}
	m.tokens, err = write("tokens.csv", []byte(adminToken+",admin,admin,system:masters\n"))
	return m, err
}

// KubeconfigFor returns a kubeconfig for server, trusting caPEM and
// authenticating with a bearer token.
func KubeconfigFor(server string, caPEM []byte, token string) *clientcmdapi.Config {
	c := clientcmdapi.NewConfig()
	c.Clusters["test"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	c.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	c.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "admin"}
	c.CurrentContext = "test"
	return c
}
