package cli

import (
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
	_, err := worker.LoadACMERoots(cfg.TLS)
	return err
}
