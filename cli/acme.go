package cli

import (
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/worker"
)

// checkTLS reads what the workers will need to serve TLS, so a bad file
// stops drover at start, or refuses a reload, with one line naming the
// setting: the --certfile/--keyfile pair, or the --tls-auto-ca-root roots.
func checkTLS(cfg config.Config) error {
	if _, err := cfg.LoadCertificate(); err != nil {
		return err
	}
	_, err := worker.LoadACMERoots(cfg.TLS)
	return err
}
