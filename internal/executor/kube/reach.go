package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/ackup/ackup/internal/kubecfg"
)

// reachError turns a failure to read a cluster into what its registrant
// is told: client-go's errors quote what the server answered (an HTML
// page, a banner of whatever listens at the address), which the caller of
// RegisterCluster must not learn about the ackup server's network. The
// whole error stays inside, for the log.
func reachError(err error) error {
	if errors.Is(err, kubecfg.ErrInvalid) {
		return err
	}
	return &kubecfg.ReachError{Reason: reachReason(err), Err: err}
}

// reachReason says in a few words why a request to an API server failed.
func reachReason(err error) string {
	var (
		status     apierrors.APIStatus
		dns        *net.DNSError
		unknownCA  x509.UnknownAuthorityError
		wrongHost  x509.HostnameError
		badCert    x509.CertificateInvalidError
		notTLS     tls.RecordHeaderError
		alert      tls.AlertError
		netErr     net.Error
		verifyFail *tls.CertificateVerificationError
	)
	switch {
	case apierrors.IsUnauthorized(err):
		return "the API server refused the kubeconfig's credentials (401 Unauthorized): the token or client certificate is wrong or has expired"
	case apierrors.IsForbidden(err):
		return "the kubeconfig's user may not read the cluster (403 Forbidden): it needs get on /version and list on nodes"
	case apierrors.IsNotFound(err):
		return "the server answered 404 Not Found: the kubeconfig's server address does not look like a Kubernetes API server (check the address and any path in it)"
	case errors.As(err, &status):
		return fmt.Sprintf("the server answered HTTP %d where a Kubernetes API server was expected", status.Status().Code)
	case errors.As(err, &dns):
		return "the host name of the kubeconfig's server could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused: nothing listens at the kubeconfig's server address and port"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "the kubeconfig's server address cannot be reached from the ackup server (no route)"
	case errors.As(err, &unknownCA), errors.As(err, &verifyFail) && errors.As(verifyFail.Err, &unknownCA):
		return "the TLS handshake failed: the server's certificate is not signed by the kubeconfig's certificate-authority-data"
	case errors.As(err, &wrongHost):
		return "the TLS handshake failed: the server's certificate is not valid for the kubeconfig's server address"
	case errors.As(err, &badCert), errors.As(err, &verifyFail):
		return "the TLS handshake failed: the server's certificate is not valid (expired or not for serving)"
	case errors.As(err, &alert):
		return "the TLS handshake failed: the server refused it (does it want a client certificate the kubeconfig lacks?)"
	case errors.As(err, &notTLS), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http reports the second case only as text.
		return "the TLS handshake failed: the server does not speak TLS at that address (should the address start with http://?)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the connection timed out: is the address right, and may the ackup server reach it through any firewall?"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection: whatever listens at that address is not a Kubernetes API server, or it dropped ackup"
	}
	return "the server did not answer as a Kubernetes API server does (the ackup server's log has the details)"
}
