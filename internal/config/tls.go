package config

import (
	"crypto/tls"
	"fmt"
	"os"
)

// ReadCertificate reads the --certfile/--keyfile pair into c.TLS.CertPEM
// and c.TLS.KeyPEM and checks that they make a certificate. The supervisor
// calls it at start and before each reload and sends the bytes to its
// workers, so the key file may be readable by root alone while workers run
// as --user, and a renewed certificate takes effect on HUP.
func (c *Config) ReadCertificate() error {
	c.TLS.CertPEM, c.TLS.KeyPEM = nil, nil
	if c.TLS.CertFile == "" {
		return nil
	}
	certPEM, err := os.ReadFile(c.TLS.CertFile)
	if err != nil {
		return &Error{Setting: "certfile", Err: err}
	}
	keyPEM, err := os.ReadFile(c.TLS.KeyFile)
	if err != nil {
		return &Error{Setting: "keyfile", Err: err}
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return &Error{Setting: "certfile", Err: fmt.Errorf("%s, %s: %w", c.TLS.CertFile, c.TLS.KeyFile, err)}
	}
	c.TLS.CertPEM, c.TLS.KeyPEM = certPEM, Secret(keyPEM)
	return nil
}

// LoadCertificate returns the certificate drover serves, or nil when
// --certfile is not set: from the bytes ReadCertificate read, else from
// the files.
func (c *Config) LoadCertificate() (*tls.Certificate, error) {
	if c.TLS.CertFile == "" {
		return nil, nil
	}
	if c.TLS.CertPEM == nil {
		if err := c.ReadCertificate(); err != nil {
			return nil, err
		}
	}
	cert, err := tls.X509KeyPair(c.TLS.CertPEM, c.TLS.KeyPEM)
	if err != nil {
		return nil, &Error{Setting: "certfile", Err: fmt.Errorf("%s, %s: %w", c.TLS.CertFile, c.TLS.KeyFile, err)}
	}
	return &cert, nil
}
