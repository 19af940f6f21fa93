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

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/statedir"
)

// cachedEvent is the certmagic event emitted once a managed certificate
// is in memory, ready for handshakes.
const cachedEvent = "cached_managed_cert"

// LoadACMERoots reads --tls-auto-ca-root, the roots trusted for the ACME
// server's own HTTPS. It returns nil (the system's roots) when tls-auto is
// off or no file is set. The supervisor calls it to fail fast, at start and
// before a reload; every worker calls it as it starts.
func LoadACMERoots(t config.TLS) (*x509.CertPool, error) {
	if len(t.AutoDomains) == 0 || t.AutoCARoot == "" {
		return nil, nil
	}
	data, err := os.ReadFile(t.AutoCARoot)
	if err != nil {
		return nil, &config.Error{Setting: "tls-auto-ca-root", Err: err}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(data) {
		return nil, &config.Error{Setting: "tls-auto-ca-root", Err: fmt.Errorf("%s: no PEM certificate in it", t.AutoCARoot)}
	}
	return roots, nil
}

// autoTLS is one worker's share of --tls-auto: a certmagic configuration
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

// newAutoTLS starts managing the domains of s.TLS. It returns once the
// certificates already in storage are in memory (so a worker started by a
// reload serves them from its first connection), or after wait, whichever
// comes first; obtaining and renewing go on in the background.
//
// TLS-ALPN-01 is answered on the served listeners themselves, HTTP-01 on
// the --http-redirect listener (plain); --tls-auto-challenge picks one, or
// both where there is a listener for them.
func newAutoTLS(s config.Config, listeners, plain []net.Listener, wait time.Duration, log *zap.Logger) (*autoTLS, error) {
	roots, err := LoadACMERoots(s.TLS)
	if err != nil {
		return nil, err
	}
	log = log.Named("acme")
	loaded := newLoadWatch(log)
	var magic *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return magic, nil },
		Logger:           log,
	})
	magic = certmagic.New(cache, certmagic.Config{
		Storage:        &certmagic.FileStorage{Path: statedir.Dir(s.Auth.StateDir).ACME()},
		Logger:         log,
		OnEvent:        loaded.onEvent,
		ShouldEmitFunc: func(event string) bool { return event == cachedEvent },
	})
	host, port := challengeAddr(listeners)
	_, httpPort := challengeAddr(plain)
	challenge := s.TLS.AutoChallenge
	issuer := certmagic.NewACMEIssuer(magic, certmagic.ACMEIssuer{
		CA:                      s.TLS.AutoCA,
		Email:                   s.TLS.AutoEmail,
		Agreed:                  true,
		DisableHTTPChallenge:    len(plain) == 0 || challenge == "tls-alpn-01",
		DisableTLSALPNChallenge: challenge == "http-01",
		ListenHost:              host,
		AltTLSALPNPort:          port,
		AltHTTPPort:             httpPort,
		TrustedRoots:            roots,
		Logger:                  log,
	})
	magic.Issuers = []certmagic.Issuer{issuer}

	ctx, cancel := context.WithCancel(context.Background())
	a := &autoTLS{magic: magic, issuer: issuer, cancel: cancel, cache: cache}
	for _, d := range s.TLS.AutoDomains {
		if magic.Storage.Exists(ctx, certmagic.StorageKeys.SiteCert(issuer.IssuerKey(), d)) {
			loaded.expect(d)
		}
	}
	if err := magic.ManageAsync(ctx, s.TLS.AutoDomains); err != nil {
		a.stop()
		return nil, fmt.Errorf("tls-auto: manage %v: %w", s.TLS.AutoDomains, err)
	}
	if missing := loaded.wait(wait); len(missing) > 0 {
		log.Warn("stored certificates not loaded in time; they are served once loaded",
			zap.Strings("domains", missing), zap.Duration("waited", wait))
	}
	log.Info("managing certificates", zap.Strings("domains", s.TLS.AutoDomains), zap.String("ca", s.TLS.AutoCA))
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
