package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ackup/ackup/internal/tlsca"
)

// loadTLS prepares the HTTPS listener's configuration when TLSAddr is set:
// the given certificate files, or the local CA's certificate kept beside
// the server key.
func (s *Server) loadTLS() error {
	cfg := s.cfg
	if cfg.TLSAddr == "" {
		if cfg.TLSCertFile != "" || cfg.TLSKeyFile != "" || len(cfg.TLSSANs) > 0 {
			return errors.New("TLS certificate settings need a TLS listen address (--tls-addr)")
		}
		return nil
	}
	var cert tls.Certificate
	switch {
	case (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == ""):
		return errors.New("a TLS certificate file and key file go together: give both or neither")
	case cfg.TLSCertFile != "":
		if len(cfg.TLSSANs) > 0 {
			return errors.New("TLS SANs apply to the generated certificate only, not to a given certificate file")
		}
		var err error
		if cert, err = tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
	default:
		res, err := tlsca.Ensure(tlsca.Config{Dir: filepath.Dir(filepath.Clean(cfg.KeyFile)), SANs: cfg.TLSSANs})
		if err != nil {
			return err
		}
		cert, s.caFile = res.Certificate, res.CAFile
		if res.CACreated {
			path := absPath(res.CAFile)
			fmt.Fprintf(cfg.Out, "Created a local CA for the HTTPS listener: %s\nTrust it in the shell that runs clients:\n  export SSL_CERT_FILE=%s\n", path, path)
		}
		if res.Issued {
			cfg.Logger.Info("issued the HTTPS server certificate", "ca", res.CAFile, "sans", cfg.TLSSANs)
		}
	}
	s.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
