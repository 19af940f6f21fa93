package cli

import (
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/statedir"
	"github.com/drover/drover/worker"
)

// workerOptions maps the resolved settings onto how a worker serves:
// everything in worker.Options that comes from the settings. The caller
// adds the worker's identity, channel, listeners, application and logs.
//
// It loads what the settings name (the certificate from the bytes the
// supervisor read, the --tls-auto-ca-root roots); its errors name the
// setting, as the supervisor's own checks do.
func workerOptions(c config.Config) (worker.Options, error) {
	cert, err := c.LoadCertificate()
	if err != nil {
		return worker.Options{}, err
	}
	opts := worker.Options{
		Chain: c.Chain(),
		Timeouts: worker.Timeouts{
			ReadHeader: c.Worker.ReadHeaderTimeout,
			Read:       c.Worker.ReadTimeout,
			Write:      c.Worker.WriteTimeout,
			Idle:       c.Worker.KeepAlive,
		},
		// Gunicorn's sync worker closes the connection after each
		// response; so does --keep-alive 0, as in Gunicorn.
		CloseAfterResponse: c.Worker.Class == "sync" || c.Worker.KeepAlive == 0,
		MaxConcurrency:     c.Worker.Concurrency(),
		MaxRequests:        c.Worker.MaxRequests,
		MaxRequestsJitter:  c.Worker.MaxRequestsJitter,
		MaxRSS:             uint64(c.Worker.MaxRSS),
		RequestTimeout:     c.Worker.RequestTimeout,
		HeartbeatTimeout:   c.Server.Timeout,
		GracefulTimeout:    c.Server.GracefulTimeout,
		ProxyProtocol:      c.Proxy.Protocol,
		Certificate:        cert,
	}
	if len(c.TLS.AutoDomains) > 0 {
		roots, err := loadACMERoots(c.TLS)
		if err != nil {
			return worker.Options{}, err
		}
		opts.AutoTLS = &worker.AutoTLS{
			Domains:   c.TLS.AutoDomains,
			CA:        c.TLS.AutoCA,
			Email:     c.TLS.AutoEmail,
			Challenge: c.TLS.AutoChallenge,
			Roots:     roots,
			Storage:   statedir.Dir(c.Auth.StateDir).ACME(),
			// Half the boot timeout for the stored certificates to load,
			// the rest for the worker to report ready.
			Wait: c.Server.BootTimeout / 2,
		}
	}
	return opts, nil
}
