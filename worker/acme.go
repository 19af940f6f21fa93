package worker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	"go.uber.org/zap"
)

// cachedEvent is the certmagic event emitted once a managed certificate
// is in memory, ready for handshakes.
const cachedEvent = "cached_managed_cert"

// AutoTLS is how a worker serves TLS with certificates obtained and
// renewed through ACME (certmagic): --tls-auto and its settings.
type AutoTLS struct {
	// Domains are the names to manage certificates for; at least one.
	Domains []string
	// CA is the ACME directory URL.
	CA string
	// Email is the ACME account's contact address; empty for none.
	Email string
	// Challenge is the ACME challenge the worker answers: "tls-alpn-01"
	// (on the application's listeners), "http-01" (on --http-redirect's
	// listener), or "any" (or empty) for those it has a listener for.
	Challenge string
	// Roots are trusted for the ACME server's own HTTPS (a private CA,
	// see LoadACMERoots); nil means the system's.
	Roots *x509.CertPool
	// Storage is the directory of certmagic's storage: certificates,
	// keys, locks and pending challenges. Every worker must share it, so
	// that whichever runs an order, any answers the CA.
	Storage string
	// Wait bounds how long New waits for the certificates already in
	// Storage to be in memory; those still loading are served once loaded.
	Wait time.Duration
}

// LoadACMERoots reads a PEM file of roots to trust for the ACME server's
// own HTTPS (AutoTLS.Roots). It returns nil, the system's roots, when path
// is empty. Its error is the file's own, naming path; the caller says
// which setting named the file.
func LoadACMERoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", path)
	}
	return roots, nil
}

// autoTLS is one worker's share of AutoTLS: a certmagic configuration
// managing the domains over storage that all workers share. Whichever
// worker runs an order, any worker answers the CA's TLS-ALPN-01
// validation, from the challenge certmagic keeps in that storage.
type autoTLS struct {
	magic  *certmagic.Config
	issuer *certmagic.ACMEIssuer
	cache  *certmagic.Cache
	cancel context.CancelFunc
	once   sync.Once
}

// newAutoTLS starts managing the domains of o. It returns once the
// certificates already in storage are in memory (so a worker started by a
// reload serves them from its first connection), or after o.Wait,
// whichever comes first; obtaining and renewing go on in the background.
//
// TLS-ALPN-01 is answered on the served listeners themselves, HTTP-01 on
// the --http-redirect listener (plain); o.Challenge picks one, or both
// where there is a listener for them.
func newAutoTLS(o AutoTLS, listeners, plain []net.Listener, log *zap.Logger) (*autoTLS, error) {
	log = log.Named("acme")
	loaded := newLoadWatch(log)
	var magic *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return magic, nil },
		Logger:           log,
	})
	magic = certmagic.New(cache, certmagic.Config{
		Storage:        &certmagic.FileStorage{Path: o.Storage},
		Logger:         log,
		OnEvent:        loaded.onEvent,
		ShouldEmitFunc: func(event string) bool { return event == cachedEvent },
	})
	host, port := challengeAddr(listeners)
	_, httpPort := challengeAddr(plain)
	issuer := certmagic.NewACMEIssuer(magic, certmagic.ACMEIssuer{
		CA:                      o.CA,
		Email:                   o.Email,
		Agreed:                  true,
		DisableHTTPChallenge:    len(plain) == 0 || o.Challenge == "tls-alpn-01",
		DisableTLSALPNChallenge: o.Challenge == "http-01",
		ListenHost:              host,
		AltTLSALPNPort:          port,
		AltHTTPPort:             httpPort,
		TrustedRoots:            o.Roots,
		Logger:                  log,
	})
	magic.Issuers = []certmagic.Issuer{issuer}

	ctx, cancel := context.WithCancel(context.Background())
	a := &autoTLS{magic: magic, issuer: issuer, cancel: cancel, cache: cache}
	for _, d := range o.Domains {
		if magic.Storage.Exists(ctx, certmagic.StorageKeys.SiteCert(issuer.IssuerKey(), d)) {
			loaded.expect(d)
		}
	}
	if err := magic.ManageAsync(ctx, o.Domains); err != nil {
		a.stop()
		return nil, fmt.Errorf("tls-auto: manage %v: %w", o.Domains, err)
	}
	if missing := loaded.wait(o.Wait); len(missing) > 0 {
		log.Warn("stored certificates not loaded in time; they are served once loaded",
			zap.Strings("domains", missing), zap.Duration("waited_s", o.Wait))
	}
	log.Info("managing certificates", zap.Strings("domains", o.Domains), zap.String("ca", o.CA))
	return a, nil
}

// tlsConfig is the server's TLS configuration: certificates from
// certmagic, HTTP/2 and HTTP/1.1, and the TLS-ALPN-01 protocol.
func (a *autoTLS) tlsConfig() *tls.Config {
	c := a.magic.TLSConfig()
	c.NextProtos = []string{"h2", "http/1.1", acmez.ACMETLS1Protocol}
	c.MinVersion = tls.VersionTLS12
	return c
}

// httpChallenge answers an ACME HTTP-01 challenge request, started by
// this worker or any other (the token is in the shared storage), and
// reports whether r was one.
func (a *autoTLS) httpChallenge(w http.ResponseWriter, r *http.Request) bool {
	return a.issuer.HandleHTTPChallenge(w, r)
}

// stop cancels orders and renewals under way and stops maintenance.
func (a *autoTLS) stop() {
	a.once.Do(func() {
		a.cancel()
		a.cache.Stop()
	})
}

// challengeAddr picks one of the worker's own TCP listeners for
// certmagic's TLS-ALPN solver, which tries to bind the challenge port
// itself: pointed at a socket the supervisor holds, it finds it in use and
// leaves the answer to the served listeners' handshakes. Without a TCP
// listener it returns the zero values (certmagic's default, port 443).
func challengeAddr(listeners []net.Listener) (host string, port int) {
	for _, l := range listeners {
		if a, ok := l.Addr().(*net.TCPAddr); ok {
			return a.IP.String(), a.Port
		}
	}
	return "", 0
}

// loadWatch logs each certificate certmagic puts in memory, and waits for
// those expected from storage, told by its events.
type loadWatch struct {
	log     *zap.Logger
	mu      sync.Mutex
	pending map[string]chan struct{}
	all     []chan struct{}
}

func newLoadWatch(log *zap.Logger) *loadWatch {
	return &loadWatch{log: log, pending: make(map[string]chan struct{})}
}

// expect adds a domain to wait for.
func (l *loadWatch) expect(domain string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	l.pending[domain] = ch
	l.all = append(l.all, ch)
}

// onEvent is certmagic's event callback: a cached certificate is served
// from now on, and no longer pending.
func (l *loadWatch) onEvent(_ context.Context, event string, data map[string]any) error {
	if event != cachedEvent {
		return nil
	}
	names, _ := data["sans"].([]string)
	l.log.Info("certificate loaded", zap.Strings("domains", names))
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range names {
		if ch, ok := l.pending[n]; ok {
			close(ch)
			delete(l.pending, n)
		}
	}
	return nil
}

// wait waits up to timeout for every expected domain and returns those
// still pending.
func (l *loadWatch) wait(timeout time.Duration) []string {
	l.mu.Lock()
	all := l.all
	l.mu.Unlock()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for _, ch := range all {
		select {
		case <-ch:
		case <-deadline.C:
			return l.stillPending()
		}
	}
	return nil
}

func (l *loadWatch) stillPending() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for d := range l.pending {
		out = append(out, d)
	}
	return out
}
