package config

import (
	"crypto/tls"
	"fmt"
)

// LoadCertificate reads the configured certificate and key, or returns
// nil when TLS is off. The supervisor calls it to fail fast (at start, and
// before a reload); every worker calls it as it starts.
func (c *Config) LoadCertificate() (*tls.Certificate, error) {
	if c.TLS.CertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile)
	if err != nil {
		return nil, &Error{Setting: "certfile", Err: fmt.Errorf("%s, %s: %w", c.TLS.CertFile, c.TLS.KeyFile, err)}
	}
	return &cert, nil
}
