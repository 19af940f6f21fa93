package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/api"
	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/sockets"
)

// Config is drover's resolved configuration: defaults, then the config
// file, then DROVER_* environment variables, then flags. The supervisor
// resolves it and sends it to every worker; workers never parse flags.
type Config struct {
	// File is the configuration file it was read from, if any.
	File string
	// Server holds the supervisor's settings.
	Server Server
	// Worker holds the settings of each worker process.
	Worker Worker
	// Limits holds the request limits against slow or hostile clients.
	Limits Limits
	// Log holds the error and access log settings.
	Log Log
	// Proxy holds the trusted-proxy settings.
	Proxy Proxy
	// TLS holds the certificate drover serves HTTPS with, without nginx.
	TLS TLS
	// Auth holds the JWT, password and store settings.
	Auth Auth
	// Browser holds the API's settings for browser front ends.
	Browser Browser
	// Database selects the users store: SQLite in the state directory,
	// or a PostgreSQL database shared by several hosts.
	Database Database
	// App holds the program's own settings that a layer set, by name, as
	// the text a flag carries ("50", "30s"); an absent one has its
	// default. [Table.Value] reads them typed.
	App map[string]string `json:",omitempty"`
}

// Server is the supervisor's part of the configuration.
type Server struct {
	// Bind lists the addresses to listen on (see sockets.ParseBind).
	Bind []string
	// Workers is the number of worker processes to keep running.
	Workers int
	// WorkersMin and WorkersMax bound the adaptive worker count; 0 is
	// Workers. With WorkersMax above WorkersMin the supervisor adds a
	// worker while they are busy and removes one after WorkersIdle of
	// quiet (uWSGI's cheaper mode).
	WorkersMin, WorkersMax int
	// WorkersIdle is how long the workers must be quiet before the
	// adaptive count removes one.
	WorkersIdle time.Duration
	// Backlog is the listen(2) backlog of TCP and unix sockets.
	Backlog int
	// PIDFile, when set, receives the supervisor's PID.
	PIDFile string
	// ControlSocket is the control socket's path; "" for the default
	// (ControlSocketPath). ControlSocketDisable turns it off.
	ControlSocket        string
	ControlSocketDisable bool
	// GracefulTimeout bounds how long workers may drain on TERM.
	GracefulTimeout time.Duration
	// ShutdownDelay is how long, on TERM, /healthz answers 503 while the
	// workers still serve, before they drain: a load balancer's time to
	// stop sending. It is added before GracefulTimeout, as Kubernetes'
	// preStop sleep is.
	ShutdownDelay time.Duration
	// MaxRSSHard, when positive, is the resident memory in bytes over
	// which the supervisor kills a worker at once (SIGKILL), as its
	// heartbeat reports it.
	MaxRSSHard int64
	// BootTimeout bounds how long a new worker may take to report ready.
	BootTimeout time.Duration
	// Timeout is the liveness clock: a worker silent for longer is killed;
	// 0 means never, as Gunicorn's --timeout 0.
	Timeout time.Duration
	// User and Group, when set, are who the workers run as: a name or a
	// numeric ID. The supervisor binds the sockets first (as root, for
	// port 80 or /run) and starts workers with these credentials.
	User, Group string
	// Umask, when not -1, is the file mode mask of the supervisor and its
	// workers.
	Umask int
	// SocketOwner, when set, is "USER[:GROUP]" given to unix sockets.
	SocketOwner string
	// SocketMode is the permission of unix sockets.
	SocketMode fs.FileMode
	// RedirectBind, when set, is a TCP address served as plain HTTP while
	// the other sockets serve HTTPS: every request is redirected to HTTPS,
	// and ACME HTTP-01 challenges are answered there.
	RedirectBind string
	// MetricsBind, when set, is the admin listener's address, HOST:PORT
	// or unix:PATH: the supervisor serves Prometheus' /metrics there.
	MetricsBind string
}

// Worker is the configuration of each worker process.
type Worker struct {
	// Class is "go" (a goroutine per connection, bounded by
	// MaxConcurrency) or "sync" (one request at a time, no keep-alive:
	// Gunicorn's sync worker).
	Class string
	// MaxConcurrency bounds the requests one worker handles at once; 0
	// means unbounded.
	MaxConcurrency int
	// MaxRequests retires a worker after this many requests; 0 disables.
	MaxRequests int
	// MaxRequestsJitter adds up to this many requests to MaxRequests, per
	// worker, so workers do not all retire at once.
	MaxRequestsJitter int
	// MaxRSS, when positive, is the resident memory in bytes over which a
	// worker retires as it does after MaxRequests (uWSGI's reload-on-rss).
	MaxRSS int64
	// RequestTimeout, when positive, bounds one request: past it the
	// client gets 504, the request's stack is logged and the worker
	// retires.
	RequestTimeout time.Duration
	// KeepAlive is how long an idle keep-alive connection is kept open;
	// 0 turns keep-alive off (every response closes its connection), as
	// Gunicorn's --keep-alive 0.
	KeepAlive time.Duration
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds a response as http.Server.WriteTimeout does:
	// from the end of the request's headers to the last byte written,
	// reading the body and the handler included. A client that stops
	// reading is cut off after it. 0 disables.
	WriteTimeout time.Duration
}

// Limits are the request limits; see app.Config for their exact meaning.
type Limits struct {
	// RequestLine is the maximum length of the request line in bytes.
	RequestLine int
	// RequestFields is the maximum number of header fields.
	RequestFields int
	// RequestFieldSize is the maximum size of one header field line in
	// bytes, "Name: value" and its CRLF, as Gunicorn counts it.
	RequestFieldSize int
	// RequestBody is the maximum size of a request body in bytes.
	RequestBody int64
}

// Log configures logging.
type Log struct {
	// ErrorLogfile is where the error log goes: "-" for stderr, or a path.
	ErrorLogfile string
	// Level is the minimum level of the error log.
	Level string
	// Format is the error log's: "auto" (console when it is a terminal,
	// JSON otherwise), "json" or "console".
	Format string
	// AccessLogfile is where the access log goes: "" for off, "-" for
	// stdout, or a path.
	AccessLogfile string
	// AccessLogFormat is "json", "combined" or a template of Gunicorn's
	// access log atoms (app.CheckAccessLogFormat).
	AccessLogFormat string
}

// Proxy configures which peers are believed about the client's address.
type Proxy struct {
	// ForwardedAllowIPs lists the peers whose X-Forwarded-* headers are
	// believed. Unix-socket peers are always believed.
	ForwardedAllowIPs []netip.Prefix
	// TrustAll is set by "*": every peer is believed.
	TrustAll bool
	// Protocol makes TCP listeners read a PROXY protocol (v1 or v2) header
	// from trusted peers; from other peers a header is refused.
	Protocol bool
}

// Auth configures authentication: where state lives, the signing keys,
// token lifetimes and password hashing.
type Auth struct {
	// StateDir holds the SQLite store (drover.db) and, in dev mode, a
	// generated key.
	StateDir string
	// SecretKeyFile holds the HS256 signing key. DROVER_SECRET_KEY, when
	// set, is used instead.
	SecretKeyFile string
	// SecretKeyPreviousFile holds the previous HS256 key of a rotation,
	// which verifies tokens but signs none. DROVER_SECRET_KEY_PREVIOUS,
	// when set, is used instead.
	SecretKeyPreviousFile string
	// Algorithm is the JWT signing algorithm: HS256, EdDSA, ES256, RS256.
	Algorithm string
	// PrivateKeyFile and PublicKeyFile are PEM keys for the asymmetric
	// algorithms.
	PrivateKeyFile, PublicKeyFile string
	// VerifyKeyFiles are PEM public keys of the asymmetric algorithm, one
	// per file, that verify tokens but sign none: the previous keys of a
	// rotation, published in the JWKS after the signing key.
	VerifyKeyFiles []string
	// AccessLifetime and RefreshLifetime are the token lifetimes.
	AccessLifetime, RefreshLifetime time.Duration
	// Audience and Issuer, when set, are written to tokens and required.
	Audience, Issuer string
	// Leeway is the clock skew allowed when checking exp, nbf and iat.
	Leeway time.Duration
	// RotateRefreshTokens makes /api/token/refresh/ return a new refresh
	// token and retire the old one (simplejwt's ROTATE_REFRESH_TOKENS).
	RotateRefreshTokens bool
	// UserCacheTTL is how long a worker trusts what it read about a user
	// when authenticating a request; a deactivation takes effect within it.
	UserCacheTTL time.Duration
	// RefreshReuseGrace is how long after a rotation the rotated refresh
	// token is only refused when presented again; past it, a reuse
	// revokes the token's family. 0: every reuse revokes.
	RefreshReuseGrace time.Duration
	// UpdateLastLogin records each login as the user's last_login
	// (simplejwt's UPDATE_LAST_LOGIN).
	UpdateLastLogin bool
	// Argon2Memory, Argon2Iterations and Argon2Parallelism are the
	// password hash's cost.
	Argon2Memory      int64
	Argon2Iterations  int
	Argon2Parallelism int
	// MaxConcurrentHashes bounds the password hashes running at once
	// across all of a server's workers, so a login flood can take neither
	// the memory nor every core from cheap requests.
	MaxConcurrentHashes int
	// Keys holds the key material loaded by LoadKeys; never printed.
	Keys Keys
}

// Browser configures what the API offers browser front ends beyond
// simplejwt (see api.Config).
type Browser struct {
	// RefreshCookie, when set, is the name of the httpOnly cookie that
	// holds a browser front end's refresh token.
	RefreshCookie string
	// CORSAllowedOrigins lists the origins, as api.ParseOrigin writes
	// them, whose pages may call the API (django-cors-headers'
	// CORS_ALLOWED_ORIGINS); api.AnyOrigin allows all, but not with the
	// cookie.
	CORSAllowedOrigins []string
	// SecurityHeaders puts Django's default security headers on the API's
	// answers (X-Frame-Options: DENY, X-Content-Type-Options: nosniff,
	// Referrer-Policy: same-origin; see api.SecurityHeaders). Off for an
	// embedder whose proxy sets its own.
	SecurityHeaders bool
}

// TLS is drover's own HTTPS: a certificate and key in PEM files, read by
// the supervisor at start and on every HUP and sent to each new worker, so
// a HUP picks up a renewed certificate and a root-only key serves --user
// workers.
type TLS struct {
	// CertFile is the certificate chain; KeyFile its private key.
	CertFile, KeyFile string
	// CertPEM and KeyPEM are the files' contents, read by the supervisor
	// (ReadCertificate) and sent to the workers.
	CertPEM []byte
	KeyPEM  Secret
	// AutoDomains, when set, are the names drover obtains and renews
	// certificates for through ACME (certmagic), kept in the state
	// directory.
	AutoDomains []string
	// AutoEmail is the ACME account's contact address.
	AutoEmail string
	// AutoCA is the ACME directory URL.
	AutoCA string
	// AutoCARoot, when set, is a PEM file of roots trusted for the ACME
	// server's own HTTPS (a private CA).
	AutoCARoot string
	// AutoChallenge is the ACME challenge drover answers: "tls-alpn-01"
	// (on the HTTPS sockets), "http-01" (on RedirectBind), or "any" of
	// those it can.
	AutoChallenge string
}

// LetsEncrypt is the default ACME directory: Let's Encrypt's production CA.
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Server: Server{
			Bind:            []string{"127.0.0.1:8000"},
			Workers:         runtime.NumCPU(),
			WorkersIdle:     30 * time.Second,
			Backlog:         2048,
			GracefulTimeout: 30 * time.Second,
			BootTimeout:     30 * time.Second,
			Timeout:         30 * time.Second,
			Umask:           -1,
			SocketMode:      0o660,
		},
		Worker: Worker{
			Class:             "go",
			KeepAlive:         5 * time.Second,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			// Twice the read timeout: a request whose body took all of
			// its read timeout still has a minute to be answered. Above
			// nginx's own 60s upstream timeouts, so behind nginx it never
			// runs out first; it is a whole-response deadline, not
			// nginx's send_timeout between two writes (a handler
			// streaming for longer extends its own with
			// http.ResponseController.SetWriteDeadline).
			WriteTimeout: 2 * time.Minute,
		},
		Limits: Limits{
			RequestLine:      app.DefaultLimitRequestLine,
			RequestFields:    app.DefaultLimitRequestFields,
			RequestFieldSize: app.DefaultLimitRequestFieldSize,
			RequestBody:      app.DefaultLimitRequestBody,
		},
		Log: Log{
			ErrorLogfile:    "-",
			Level:           "info",
			Format:          "auto",
			AccessLogFormat: app.AccessLogJSON,
		},
		Proxy: Proxy{
			ForwardedAllowIPs: []netip.Prefix{
				netip.MustParsePrefix("127.0.0.1/32"),
				netip.MustParsePrefix("::1/128"),
			},
		},
		TLS: TLS{
			AutoCA:        LetsEncrypt,
			AutoChallenge: "any",
		},
		Auth: Auth{
			StateDir:            "var",
			Algorithm:           auth.DefaultAlgorithm,
			AccessLifetime:      auth.DefaultAccessLifetime,
			RefreshLifetime:     auth.DefaultRefreshLifetime,
			RotateRefreshTokens: true,
			UserCacheTTL:        time.Second,
			RefreshReuseGrace:   auth.DefaultReuseGrace,
			Argon2Memory:        auth.DefaultArgon2Memory << 10, // KiB to bytes
			Argon2Iterations:    auth.DefaultArgon2Iterations,
			Argon2Parallelism:   auth.DefaultArgon2Parallelism,
			MaxConcurrentHashes: auth.DefaultMaxConcurrent(),
		},
		Browser: Browser{
			SecurityHeaders: true,
		},
		Database: Database{
			MaxConnections:   DefaultDatabaseMaxConnections,
			StatementTimeout: DefaultDatabaseStatementTimeout,
			ConnectTimeout:   DefaultDatabaseConnectTimeout,
		},
	}
}

// Error is a rejected setting: which one, and why.
type Error struct {
	// Setting names the setting as the user gave it: "--workers",
	// "DROVER_WORKERS", "drover.toml: workers" or just "workers".
	Setting string
	// Err is the reason.
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("invalid %s: %v", e.Setting, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// Validate checks settings that depend on each other or that a parser
// alone cannot judge. Its error names the setting.
func (c *Config) Validate() error {
	bad := func(setting, format string, args ...any) error {
		return &Error{Setting: setting, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case len(c.Server.Bind) == 0:
		return bad("bind", "at least one address is needed")
	case c.Server.Workers < 1:
		return bad("workers", "must be at least 1, got %d", c.Server.Workers)
	case c.Server.Workers > 1024:
		return bad("workers", "at most 1024, got %d", c.Server.Workers)
	case c.Server.WorkersMin < 0 || c.Server.WorkersMin > c.Server.Workers:
		return bad("workers-min", "must be from 1 to --workers (%d), or 0 for --workers; got %d", c.Server.Workers, c.Server.WorkersMin)
	case c.Server.WorkersMax != 0 && (c.Server.WorkersMax < c.Server.Workers || c.Server.WorkersMax > 1024):
		return bad("workers-max", "must be from --workers (%d) to 1024, or 0 for --workers; got %d", c.Server.Workers, c.Server.WorkersMax)
	case c.Server.WorkersIdle < time.Second:
		return bad("workers-idle", "must be at least 1s, got %s", c.Server.WorkersIdle)
	case c.Server.Backlog < 1:
		return bad("backlog", "must be at least 1, got %d", c.Server.Backlog)
	case c.Server.Timeout > 0 && c.Server.Timeout < 100*time.Millisecond:
		return bad("timeout", "must be 0 (none) or at least 100ms, got %s", c.Server.Timeout)
	case c.Server.BootTimeout < 100*time.Millisecond:
		return bad("boot-timeout", "must be at least 100ms, got %s", c.Server.BootTimeout)
	case c.Worker.MaxConcurrency < 0:
		return bad("max-concurrency", "must not be negative, got %d", c.Worker.MaxConcurrency)
	case c.Worker.Class == "sync" && c.Worker.MaxConcurrency > 1:
		// Refused rather than printed as the effective 1: whoever asked for
		// more than one request at a time would otherwise get one, silently.
		return bad("max-concurrency", "worker-class sync handles one request at a time; got %d (use worker-class go for more, or leave max-concurrency at 0)", c.Worker.MaxConcurrency)
	case c.Worker.MaxRequests < 0:
		return bad("max-requests", "must not be negative, got %d", c.Worker.MaxRequests)
	case c.Worker.MaxRequestsJitter < 0:
		return bad("max-requests-jitter", "must not be negative, got %d", c.Worker.MaxRequestsJitter)
	case c.Worker.MaxRSS < 0 || c.Worker.MaxRSS > 0 && c.Worker.MaxRSS < MinRSSLimit:
		return bad("max-rss", "must be 0 (never) or at least %s, a worker's own footprint; got %s (a size without a unit is bytes: 512M)", formatSize(MinRSSLimit), formatSize(c.Worker.MaxRSS))
	case c.Server.MaxRSSHard < 0 || c.Server.MaxRSSHard > 0 && c.Server.MaxRSSHard < MinRSSLimit:
		return bad("max-rss-hard", "must be 0 (never) or at least %s, a worker's own footprint; got %s (a size without a unit is bytes: 1G)", formatSize(MinRSSLimit), formatSize(c.Server.MaxRSSHard))
	case c.Server.MaxRSSHard > 0 && c.Worker.MaxRSS > 0 && c.Server.MaxRSSHard <= c.Worker.MaxRSS:
		return bad("max-rss-hard", "must be above max-rss (%s), or no worker retires gracefully; got %s", formatSize(c.Worker.MaxRSS), formatSize(c.Server.MaxRSSHard))
	case c.Worker.RequestTimeout > 0 && c.Worker.RequestTimeout < 10*time.Millisecond:
		return bad("request-timeout", "must be 0 (none) or at least 10ms, got %s", c.Worker.RequestTimeout)
	case c.Limits.RequestLine < 64:
		return bad("limit-request-line", "must be at least 64 bytes, got %d", c.Limits.RequestLine)
	case c.Limits.RequestFields < 1:
		return bad("limit-request-fields", "must be at least 1, got %d", c.Limits.RequestFields)
	case c.Limits.RequestFieldSize < 64:
		return bad("limit-request-field-size", "must be at least 64 bytes, got %d", c.Limits.RequestFieldSize)
	case c.Limits.RequestBody < 0:
		return bad("limit-request-body", "must not be negative, got %d", c.Limits.RequestBody)
	case (c.TLS.CertFile == "") != (c.TLS.KeyFile == ""):
		return bad("certfile", "certfile and keyfile go together")
	case c.TLS.CertFile != "" && len(c.TLS.AutoDomains) > 0:
		return bad("tls-auto", "either certfile/keyfile or tls-auto, not both")
	case len(c.TLS.AutoDomains) > 0 && c.TLS.AutoCA == "":
		return bad("tls-auto-ca", "must not be empty with tls-auto")
	case c.Server.RedirectBind != "" && c.TLS.CertFile == "" && len(c.TLS.AutoDomains) == 0:
		return bad("http-redirect", "redirects to HTTPS, which needs certfile/keyfile or tls-auto")
	case c.TLS.AutoChallenge == "http-01" && c.Server.RedirectBind == "":
		return bad("tls-auto-challenge", "http-01 is answered on the http-redirect address, which is not set")
	case c.Auth.StateDir == "":
		return bad("state-dir", "must not be empty")
	case c.Auth.AccessLifetime < time.Second:
		return bad("access-token-lifetime", "must be at least 1s, got %s", c.Auth.AccessLifetime)
	case c.Auth.RefreshLifetime < c.Auth.AccessLifetime:
		return bad("refresh-token-lifetime", "must be at least the access token lifetime (%s), got %s", c.Auth.AccessLifetime, c.Auth.RefreshLifetime)
	case c.Auth.Algorithm != "HS256" && c.Auth.PrivateKeyFile == "" && c.Auth.PublicKeyFile == "":
		return bad("jwt-private-key-file", "%s needs a PEM key file", c.Auth.Algorithm)
	case c.Auth.Algorithm != "HS256" && c.Auth.SecretKeyPreviousFile != "":
		return bad("secret-key-previous-file", "is an HS256 key; %s keeps its previous keys in jwt-verify-key-file", c.Auth.Algorithm)
	case c.Auth.Algorithm == "HS256" && len(c.Auth.VerifyKeyFiles) > 0:
		return bad("jwt-verify-key-file", "HS256 has no public keys; its previous key goes in secret-key-previous-file")
	case c.Auth.Argon2Memory < 8<<10:
		return bad("argon2-memory", "must be at least 8K, got %d", c.Auth.Argon2Memory)
	case c.Auth.Argon2Memory > 4<<30:
		return bad("argon2-memory", "at most 4G, got %d", c.Auth.Argon2Memory)
	case c.Auth.Argon2Iterations < 1:
		return bad("argon2-iterations", "must be at least 1, got %d", c.Auth.Argon2Iterations)
	case c.Auth.Argon2Parallelism < 1 || c.Auth.Argon2Parallelism > 255:
		return bad("argon2-parallelism", "must be from 1 to 255, got %d", c.Auth.Argon2Parallelism)
	case c.Auth.MaxConcurrentHashes < 1:
		return bad("max-concurrent-hashes", "must be at least 1, got %d", c.Auth.MaxConcurrentHashes)
	case c.Auth.RefreshReuseGrace < 0 || c.Auth.RefreshReuseGrace > c.Auth.RefreshLifetime:
		return bad("refresh-reuse-grace", "must be from 0 to the refresh token lifetime (%s), got %s", c.Auth.RefreshLifetime, c.Auth.RefreshReuseGrace)
	case c.Browser.RefreshCookie != "" && slices.Contains(c.Browser.CORSAllowedOrigins, api.AnyOrigin):
		return bad("cors-allowed-origins", `"*" cannot be combined with refresh-cookie: every site's pages could use the cookie; list the front ends' origins`)
	}
	if _, err := c.Server.Credential(); err != nil {
		return err
	}
	if _, err := c.Server.SocketOwnerIDs(); err != nil {
		return err
	}
	for _, b := range c.Server.Bind {
		if _, err := sockets.ParseBind(b); err != nil {
			return &Error{Setting: "bind", Err: err}
		}
	}
	if r := c.Server.RedirectBind; r != "" {
		_, _, splitErr := net.SplitHostPort(r)
		if b, err := sockets.ParseBind(r); err != nil || splitErr != nil || b.Network != "tcp" {
			return bad("http-redirect", "%q is not a HOST:PORT address", r)
		}
	}
	if m := c.Server.MetricsBind; m != "" {
		if b, err := sockets.ParseBind(m); err != nil || b.Network == "fd" {
			return bad("metrics-bind", "%q is not HOST:PORT or unix:PATH", m)
		}
	}
	return c.Database.validate()
}

// MinRSSLimit is the smallest --max-rss or --max-rss-hard accepted: below
// it a worker is over the limit as soon as it boots, and the server would
// do nothing but replace workers.
const MinRSSLimit = 16 << 20

// Concurrency is the number of requests one worker may handle at once,
// after the worker class is applied; 0 means unbounded.
func (w Worker) Concurrency() int {
	if w.Class == "sync" {
		return 1
	}
	return w.MaxConcurrency
}

// ErrHelp is returned by Resolve when -h or --help was given; Usage prints
// the help.
var ErrHelp = errors.New("help requested")

// Chain is the handler chain's configuration (package app) in this one:
// limits, trusted proxies, the access log's format, and this process's
// PID for the log. The caller adds what only it knows (a worker's
// generation, dev's error pages).
func (c Config) Chain() app.Config {
	return app.Config{
		LimitRequestLine:      c.Limits.RequestLine,
		LimitRequestFields:    c.Limits.RequestFields,
		LimitRequestFieldSize: c.Limits.RequestFieldSize,
		LimitRequestBody:      c.Limits.RequestBody,
		ForwardedAllowIPs:     c.Proxy.ForwardedAllowIPs,
		TrustAllProxies:       c.Proxy.TrustAll,
		AccessLogFormat:       c.Log.AccessLogFormat,
		WorkerPID:             os.Getpid(),
	}
}
