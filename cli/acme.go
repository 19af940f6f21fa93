package cli

import (
	"crypto/x509"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/worker"
)

// checkTLS reads what the workers will need to serve TLS, so a bad file
// stops drover at start, or refuses a reload, with one line naming the
// setting: the --certfile/--keyfile pair, or the --tls-auto-ca-root roots.
//
// The supervisor keeps the certificate and key it read and sends them to
// its workers, which may run as a user that cannot read the key file.
func checkTLS(cfg *config.Config) error {
	if err := cfg.ReadCertificate(); err != nil {
		return err
	}
	_, err := loadACMERoots(cfg.TLS)
	return err
}

// loadACMERoots reads the --tls-auto-ca-root roots: nil (the system's)
// when tls-auto is off or no file is set. The supervisor reads them to
// fail fast, at start and before a reload; every worker reads them again
// as it starts (workerOptions).
func loadACMERoots(t config.TLS) (*x509.CertPool, error) {
	if len(t.AutoDomains) == 0 {
		return nil, nil
	}
	roots, err := worker.LoadACMERoots(t.AutoCARoot)
	if err != nil {
		return nil, &config.Error{Setting: "tls-auto-ca-root", Err: err}
	}
	return roots, nil
}
