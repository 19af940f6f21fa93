package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/api"
	"github.com/drover/drover/internal/sockets"
)

// setting is one configurable value: its flag name (also its environment
// name DROVER_<NAME> and its config-file key), how to set it from text and
// how to print it.
type setting struct {
	name  string
	short string
	usage string
	// list settings accumulate: a repeated flag appends; each layer that
	// names the setting replaces what earlier layers set.
	list bool
	// kind names the value's type in --help.
	kind  string
	set   func(c *Config, v string) error
	reset func(c *Config)
	get   func(c *Config) string
}

// settings is every setting, in the order --help and print-config show them.
func settings() []setting {
	all := []setting{
		{
			name: "bind", short: "b", list: true, kind: "address",
			usage: "address to listen on, repeatable: HOST:PORT, [::1]:PORT, unix:PATH, fd://N",
			set: func(c *Config, v string) error {
				if _, err := sockets.ParseBind(v); err != nil {
					return err
				}
				c.Server.Bind = append(c.Server.Bind, v)
				return nil
			},
			reset: func(c *Config) { c.Server.Bind = nil },
			get:   func(c *Config) string { return quoteList(c.Server.Bind) },
		},
		intSetting("workers", "w", "number of worker processes (default: the number of CPUs)",
			func(c *Config) *int { return &c.Server.Workers }),
		intSetting("workers-min", "", "adaptive worker count: the fewest workers, 0 for --workers (with --workers-max above it, a worker is added while they are busy and removed after --workers-idle of quiet)",
			func(c *Config) *int { return &c.Server.WorkersMin }),
		intSetting("workers-max", "", "adaptive worker count: the most workers, 0 for --workers (equal to --workers-min: a fixed count)",
			func(c *Config) *int { return &c.Server.WorkersMax }),
		durationSetting("workers-idle", "", "how long the workers must be quiet before the adaptive count removes one",
			func(c *Config) *time.Duration { return &c.Server.WorkersIdle }),
		enumSetting("worker-class", "k", "go: a goroutine per connection; sync: one request at a time, no keep-alive (Gunicorn's sync)",
			func(c *Config) *string { return &c.Worker.Class }, "go", "sync"),
		intSetting("max-concurrency", "", "requests one worker handles at once, 0 for unbounded (sync class: 1; more is refused)",
			func(c *Config) *int { return &c.Worker.MaxConcurrency }),
		intSetting("backlog", "", "listen backlog of each socket",
			func(c *Config) *int { return &c.Server.Backlog }),
		durationSetting("timeout", "t", "a worker silent (no heartbeat) for longer is killed and replaced; 0 for never",
			func(c *Config) *time.Duration { return &c.Server.Timeout }),
		durationSetting("graceful-timeout", "", "how long workers may finish in-flight requests on TERM before they are killed",
			func(c *Config) *time.Duration { return &c.Server.GracefulTimeout }),
		durationSetting("shutdown-delay", "", "on TERM, answer /healthz 503 for this long while still serving, then drain; added before graceful-timeout, 0 for none",
			func(c *Config) *time.Duration { return &c.Server.ShutdownDelay }),
		durationSetting("boot-timeout", "", "how long a new worker may take to report ready",
			func(c *Config) *time.Duration { return &c.Server.BootTimeout }),
		durationSetting("keep-alive", "", "how long an idle keep-alive connection is kept open; 0 turns keep-alive off (each response closes its connection)",
			func(c *Config) *time.Duration { return &c.Worker.KeepAlive }),
		durationSetting("read-header-timeout", "", "time allowed to read a request's headers",
			func(c *Config) *time.Duration { return &c.Worker.ReadHeaderTimeout }),
		durationSetting("read-timeout", "", "time allowed to read a whole request, body included",
			func(c *Config) *time.Duration { return &c.Worker.ReadTimeout }),
		durationSetting("write-timeout", "", "time allowed from the end of a request's headers to the last byte of its response, body and handler included (a client that stops reading is cut off after it), 0 for none",
			func(c *Config) *time.Duration { return &c.Worker.WriteTimeout }),
		intSetting("max-requests", "", "retire a worker after this many requests, 0 for never",
			func(c *Config) *int { return &c.Worker.MaxRequests }),
		intSetting("max-requests-jitter", "", "add up to this many requests to max-requests, per worker",
			func(c *Config) *int { return &c.Worker.MaxRequestsJitter }),
		sizeSetting("max-rss", "retire a worker (replacement first, as max-requests) once its resident memory is over this: 512M, 1G; 0 for never",
			func(c *Config) *int64 { return &c.Worker.MaxRSS }),
		sizeSetting("max-rss-hard", "kill a worker at once (SIGKILL) once its resident memory is over this, above max-rss; 0 for never",
			func(c *Config) *int64 { return &c.Server.MaxRSSHard }),
		durationSetting("request-timeout", "", "a request running longer gets 504, its stack is logged and its worker replaced; 0 for none",
			func(c *Config) *time.Duration { return &c.Worker.RequestTimeout }),
		intSetting("limit-request-line", "", "maximum request line in bytes (longer: 414)",
			func(c *Config) *int { return &c.Limits.RequestLine }),
		intSetting("limit-request-fields", "", "maximum number of header fields (more: 431)",
			func(c *Config) *int { return &c.Limits.RequestFields }),
		intSetting("limit-request-field-size", "", "maximum size of one header field line in bytes, \"Name: value\" and its CRLF as Gunicorn counts it (larger: 431)",
			func(c *Config) *int { return &c.Limits.RequestFieldSize }),
		sizeSetting("limit-request-body", "maximum request body, bytes or with a unit: 512K, 10M (larger: 413)",
			func(c *Config) *int64 { return &c.Limits.RequestBody }),
		stringSetting("user", "u", "run workers as this user (name or UID); the supervisor binds sockets first",
			func(c *Config) *string { return &c.Server.User }),
		stringSetting("group", "g", "run workers as this group (name or GID; default: the user's primary group)",
			func(c *Config) *string { return &c.Server.Group }),
		{
			name: "umask", kind: "octal",
			usage: `file mode mask of the supervisor and workers, octal like 027; empty to inherit`,
			set: func(c *Config, v string) error {
				m, err := parseUmask(v)
				c.Server.Umask = m
				return err
			},
			get: func(c *Config) string {
				if c.Server.Umask < 0 {
					return `""`
				}
				return tomlQuote(fmt.Sprintf("%04o", c.Server.Umask))
			},
		},
		stringSetting("socket-owner", "", "owner of unix sockets: USER[:GROUP], names or IDs",
			func(c *Config) *string { return &c.Server.SocketOwner }),
		{
			name: "socket-mode", kind: "octal",
			usage: "permission of unix sockets, octal",
			set: func(c *Config, v string) error {
				m, err := parseMode(v)
				c.Server.SocketMode = m
				return err
			},
			get: func(c *Config) string { return tomlQuote(fmt.Sprintf("%04o", uint32(c.Server.SocketMode))) },
		},
		stringSetting("pid", "p", "write the supervisor's PID to this file",
			func(c *Config) *string { return &c.Server.PIDFile }),
		stringSetting("control-socket", "", "path of the control socket the status, reload, scale and stop commands talk to (mode 0600; default $RUNTIME_DIRECTORY/<program>.ctl under systemd, else <state-dir>/<program>.ctl)",
			func(c *Config) *string { return &c.Server.ControlSocket }),
		boolSetting("control-socket-disable", "", "serve no control socket",
			func(c *Config) *bool { return &c.Server.ControlSocketDisable }),
		stringSetting("metrics-bind", "", "admin listener the supervisor serves Prometheus /metrics on, aggregated over every worker: HOST:PORT or unix:PATH; empty for none",
			func(c *Config) *string { return &c.Server.MetricsBind }),
		stringSetting("error-logfile", "", `error log: "-" for stderr, or a file (reopened on USR1)`,
			func(c *Config) *string { return &c.Log.ErrorLogfile }),
		enumSetting("log-level", "", "debug, info, warning, error or critical",
			func(c *Config) *string { return &c.Log.Level }, "debug", "info", "warning", "error", "critical"),
		enumSetting("log-format", "", "error log format: auto (console on a terminal, json otherwise), json or console",
			func(c *Config) *string { return &c.Log.Format }, "auto", "json", "console"),
		stringSetting("access-logfile", "", `access log: off when empty, "-" for stdout, or a file (reopened on USR1)`,
			func(c *Config) *string { return &c.Log.AccessLogfile }),
		checkedStringSetting("access-log-format", "", `json, combined (Apache's, then the request ID and the time in µs), or a template of Gunicorn's atoms: '%(h)s "%(r)s" %(s)s %(D)s'`,
			func(c *Config) *string { return &c.Log.AccessLogFormat }, app.CheckAccessLogFormat),
		{
			name:  "forwarded-allow-ips",
			kind:  "ips",
			usage: `peers believed about X-Forwarded-For/-Proto: comma-separated IPs or CIDRs, or "*"; unix sockets always`,
			set: func(c *Config, v string) error {
				prefixes, all, err := ParseAllowIPs(v)
				c.Proxy.ForwardedAllowIPs, c.Proxy.TrustAll = prefixes, all
				return err
			},
			get: func(c *Config) string {
				if c.Proxy.TrustAll {
					return `"*"`
				}
				parts := make([]string, len(c.Proxy.ForwardedAllowIPs))
				for i, p := range c.Proxy.ForwardedAllowIPs {
					parts[i] = p.String()
				}
				return tomlQuote(strings.Join(parts, ","))
			},
		},
		boolSetting("proxy-protocol", "", "read a PROXY protocol v1/v2 header on TCP connections from forwarded-allow-ips peers",
			func(c *Config) *bool { return &c.Proxy.Protocol }),
		stringSetting("certfile", "", "PEM certificate chain: serve HTTPS (re-read by the supervisor on HUP)",
			func(c *Config) *string { return &c.TLS.CertFile }),
		stringSetting("keyfile", "", "PEM private key of --certfile",
			func(c *Config) *string { return &c.TLS.KeyFile }),
		{
			name: "tls-auto", list: true, kind: "domain",
			usage: "obtain and renew a certificate for this domain through ACME (certmagic), repeatable",
			set: func(c *Config, v string) error {
				d, err := parseDomain(v)
				if err == nil {
					c.TLS.AutoDomains = append(c.TLS.AutoDomains, d)
				}
				return err
			},
			reset: func(c *Config) { c.TLS.AutoDomains = nil },
			get:   func(c *Config) string { return quoteList(c.TLS.AutoDomains) },
		},
		stringSetting("tls-auto-email", "", "contact address of the ACME account",
			func(c *Config) *string { return &c.TLS.AutoEmail }),
		stringSetting("tls-auto-ca", "", "ACME directory URL (default Let's Encrypt)",
			func(c *Config) *string { return &c.TLS.AutoCA }),
		stringSetting("tls-auto-ca-root", "", "PEM file of roots to trust for the ACME server's own HTTPS (a private CA)",
			func(c *Config) *string { return &c.TLS.AutoCARoot }),
		enumSetting("tls-auto-challenge", "", "ACME challenge to answer: tls-alpn-01 (on the HTTPS sockets), http-01 (on --http-redirect) or any",
			func(c *Config) *string { return &c.TLS.AutoChallenge }, "any", "tls-alpn-01", "http-01"),
		stringSetting("http-redirect", "", "HOST:PORT served as plain HTTP beside HTTPS: redirects every request to HTTPS, answers ACME HTTP-01",
			func(c *Config) *string { return &c.Server.RedirectBind }),
		stringSetting("state-dir", "", "directory of the server's state: the users store, the program's own files (default $STATE_DIRECTORY, else ./var)",
			func(c *Config) *string { return &c.Auth.StateDir }),
		stringSetting("secret-key-file", "", "file holding the HS256 signing key, at least 32 bytes (or set DROVER_SECRET_KEY)",
			func(c *Config) *string { return &c.Auth.SecretKeyFile }),
		stringSetting("secret-key-previous-file", "", "file holding the previous HS256 signing key, which still verifies tokens but signs none (or set DROVER_SECRET_KEY_PREVIOUS); re-read on HUP",
			func(c *Config) *string { return &c.Auth.SecretKeyPreviousFile }),
		enumSetting("jwt-algorithm", "", "JWT signing algorithm: HS256, EdDSA, ES256 or RS256",
			func(c *Config) *string { return &c.Auth.Algorithm }, "HS256", "EdDSA", "ES256", "RS256"),
		stringSetting("jwt-private-key-file", "", "PEM private key for EdDSA, ES256 or RS256",
			func(c *Config) *string { return &c.Auth.PrivateKeyFile }),
		stringSetting("jwt-public-key-file", "", "PEM public key (derived from the private key when empty)",
			func(c *Config) *string { return &c.Auth.PublicKeyFile }),
		{
			name: "jwt-verify-key-file", list: true, kind: "file",
			usage: "PEM public key (PKIX) that verifies tokens but signs none, repeatable: a previous key of a rotation, published in the JWKS after the signing key; re-read on HUP",
			set: func(c *Config, v string) error {
				if v == "" {
					return errors.New("empty file name")
				}
				c.Auth.VerifyKeyFiles = append(c.Auth.VerifyKeyFiles, v)
				return nil
			},
			reset: func(c *Config) { c.Auth.VerifyKeyFiles = nil },
			get:   func(c *Config) string { return quoteList(c.Auth.VerifyKeyFiles) },
		},
		durationSetting("access-token-lifetime", "", "lifetime of access tokens",
			func(c *Config) *time.Duration { return &c.Auth.AccessLifetime }),
		durationSetting("refresh-token-lifetime", "", "lifetime of refresh tokens",
			func(c *Config) *time.Duration { return &c.Auth.RefreshLifetime }),
		stringSetting("jwt-audience", "", `"aud" written to tokens and required, when set`,
			func(c *Config) *string { return &c.Auth.Audience }),
		stringSetting("jwt-issuer", "", `"iss" written to tokens and required, when set`,
			func(c *Config) *string { return &c.Auth.Issuer }),
		durationSetting("jwt-leeway", "", "clock skew allowed when checking token times",
			func(c *Config) *time.Duration { return &c.Auth.Leeway }),
		boolSetting("rotate-refresh-tokens", "", "refreshing returns a new refresh token and retires the old one",
			func(c *Config) *bool { return &c.Auth.RotateRefreshTokens }),
		durationSetting("user-cache-ttl", "", "how long a worker trusts a user's active state when authenticating; 0 reads the store on every request",
			func(c *Config) *time.Duration { return &c.Auth.UserCacheTTL }),
		durationSetting("refresh-reuse-grace", "", "a rotated refresh token presented again within this time of its rotation is refused, and nothing else; later, its whole family is revoked (0: always revoke)",
			func(c *Config) *time.Duration { return &c.Auth.RefreshReuseGrace }),
		boolSetting("update-last-login", "", "record each login as the user's last_login (simplejwt's UPDATE_LAST_LOGIN)",
			func(c *Config) *bool { return &c.Auth.UpdateLastLogin }),
		sizeSetting("argon2-memory", "memory of one argon2id password hash",
			func(c *Config) *int64 { return &c.Auth.Argon2Memory }),
		intSetting("argon2-iterations", "", "passes of one argon2id password hash",
			func(c *Config) *int { return &c.Auth.Argon2Iterations }),
		intSetting("argon2-parallelism", "", "threads of one argon2id password hash",
			func(c *Config) *int { return &c.Auth.Argon2Parallelism }),
		intSetting("max-concurrent-hashes", "", "password hashes running at once across all workers (default: half the CPUs, at least 1)",
			func(c *Config) *int { return &c.Auth.MaxConcurrentHashes }),
		{
			name: "refresh-cookie", kind: "string",
			usage: "name of an httpOnly cookie holding browser front ends' refresh token (HttpOnly; Secure; SameSite=Strict; Path=/api/token/), for requests with the " + api.CSRFHeader + " header; empty for off",
			set: func(c *Config, v string) error {
				if v != "" {
					if err := api.CheckCookieName(v); err != nil {
						return err
					}
				}
				c.Browser.RefreshCookie = v
				return nil
			},
			get: func(c *Config) string { return tomlQuote(c.Browser.RefreshCookie) },
		},
		{
			name: "cors-allowed-origins", list: true, kind: "origin",
			usage: `origins whose pages may call the API (CORS), repeatable or comma-separated: exact scheme://host[:port], or "*" (not with refresh-cookie)`,
			set: func(c *Config, v string) error {
				for o := range strings.SplitSeq(v, ",") {
					if o = strings.TrimSpace(o); o == "" {
						continue
					}
					if o != api.AnyOrigin {
						var err error
						if o, err = api.ParseOrigin(o); err != nil {
							return err
						}
					}
					c.Browser.CORSAllowedOrigins = append(c.Browser.CORSAllowedOrigins, o)
				}
				return nil
			},
			reset: func(c *Config) { c.Browser.CORSAllowedOrigins = nil },
			get:   func(c *Config) string { return quoteList(c.Browser.CORSAllowedOrigins) },
		},
		boolSetting("security-headers", "", "send Django's default security headers on the API's answers: X-Frame-Options: DENY, X-Content-Type-Options: nosniff, Referrer-Policy: same-origin",
			func(c *Config) *bool { return &c.Browser.SecurityHeaders }),
	}
	// The database settings follow state-dir, the other place of the
	// store.
	at := slices.IndexFunc(all, func(s setting) bool { return s.name == "state-dir" }) + 1
	return slices.Insert(all, at, databaseSettings()...)
}

func boolSetting(name, short, usage string, field func(*Config) *bool) setting {
	return setting{
		kind: "bool", name: name, short: short, usage: usage,
		set: func(c *Config, v string) error {
			b, err := ParseBool(v)
			if err != nil {
				return err
			}
			*field(c) = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

func intSetting(name, short, usage string, field func(*Config) *int) setting {
	return setting{
		kind: "int", name: name, short: short, usage: usage,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

func stringSetting(name, short, usage string, field func(*Config) *string) setting {
	return setting{
		kind: "string", name: name, short: short, usage: usage,
		set: func(c *Config, v string) error {
			*field(c) = v
			return nil
		},
		get: func(c *Config) string { return tomlQuote(*field(c)) },
	}
}

// checkedStringSetting is a string setting whose value check accepts.
func checkedStringSetting(name, short, usage string, field func(*Config) *string, check func(string) error) setting {
	return setting{
		kind: "string", name: name, short: short, usage: usage,
		set: func(c *Config, v string) error {
			if err := check(v); err != nil {
				return err
			}
			*field(c) = v
			return nil
		},
		get: func(c *Config) string { return tomlQuote(*field(c)) },
	}
}

func enumSetting(name, short, usage string, field func(*Config) *string, allowed ...string) setting {
	return setting{
		kind: "string", name: name, short: short, usage: usage,
		set: func(c *Config, v string) error {
			for _, a := range allowed {
				if v == a {
					*field(c) = v
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
		},
		get: func(c *Config) string { return tomlQuote(*field(c)) },
	}
}

func sizeSetting(name, usage string, field func(*Config) *int64) setting {
	return setting{
		kind: "size", name: name, usage: usage,
		set: func(c *Config, v string) error {
			n, err := ParseByteSize(v)
			*field(c) = n
			return err
		},
		get: func(c *Config) string { return tomlSize(*field(c)) },
	}
}

func durationSetting(name, short, usage string, field func(*Config) *time.Duration) setting {
	return setting{
		kind: "duration", name: name, short: short, usage: usage,
		set: func(c *Config, v string) error {
			d, err := ParseDuration(v)
			*field(c) = d
			return err
		},
		get: func(c *Config) string { return tomlQuote(formatDuration(*field(c))) },
	}
}

func quoteList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = tomlQuote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// ParseDuration reads a duration as Gunicorn users write it (whole or
// fractional seconds: "30", "0.5") or as Go writes it ("500ms", "1m30s").
// Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(secs) {
		if secs > float64(1<<62)/float64(time.Second) {
			return 0, fmt.Errorf("%q is too long", s)
		}
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%q is not a duration (seconds, or like 500ms, 2m)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

// ParseByteSize reads a size in bytes, with an optional binary unit:
// "1048576", "512K", "10M", "1GiB".
func ParseByteSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size in bytes (like 1048576, 512K, 10M)", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// tomlSize writes n bytes for the config file and --help: in a unit when
// one divides it ("19M", quoted, as ParseByteSize reads it), else as the
// number of bytes.
func tomlSize(n int64) string {
	if s := formatSize(n); n != 0 && !strings.HasSuffix(s, " bytes") {
		return tomlQuote(s)
	}
	return strconv.FormatInt(n, 10)
}

// formatDuration writes d as Go does without its zero tails: "1m", "24h",
// "1h30m" rather than "1m0s", "24h0m0s", "1h30m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatSize writes n bytes as ParseByteSize reads them, in the largest
// unit that divides it: "512M", "1G", "1000 bytes".
func formatSize(n int64) string {
	for _, u := range []struct {
		unit  string
		shift uint
	}{{"G", 30}, {"M", 20}, {"K", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.unit
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ParseAllowIPs reads a forwarded-allow-ips value: comma-separated IP
// addresses or CIDR prefixes, or "*" for every peer.
func ParseAllowIPs(s string) (prefixes []netip.Prefix, all bool, err error) {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			continue
		case part == "*":
			all = true
		case strings.Contains(part, "/"):
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, false, fmt.Errorf("%q is not an IP address or CIDR prefix", part)
			}
			prefixes = append(prefixes, p.Masked())
		default:
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, false, fmt.Errorf("%q is not an IP address or CIDR prefix", part)
			}
			a = a.Unmap()
			prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return prefixes, all, nil
}

// parseUmask reads an octal umask; empty means "inherit" (-1).
func parseUmask(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1, nil
	}
	m, err := parseMode(s)
	return int(m), err
}

// parseMode reads an octal permission from 0 to 0777: "660", "0660",
// "0o660".
func parseMode(s string) (fs.FileMode, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0o"), "0O")
	n, err := strconv.ParseUint(t, 8, 32)
	if err != nil || t == "" || n > 0o777 {
		return 0, fmt.Errorf("%q is not an octal permission from 0 to 0777", s)
	}
	return fs.FileMode(n), nil
}

// parseDomain checks a --tls-auto name: a DNS name, lower-cased, without
// a scheme, port or path.
func parseDomain(s string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if d == "" || len(d) > 253 || strings.ContainsAny(d, "/:@ ") {
		return "", fmt.Errorf("%q is not a domain name", s)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("%q is not a domain name", s)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '*' && label == "*") {
				return "", fmt.Errorf("%q is not a domain name", s)
			}
		}
	}
	return d, nil
}

// tomlQuote writes s as a TOML basic string. Control characters use TOML's
// escapes (Go's strconv.Quote has escapes TOML lacks) and invalid UTF-8
// becomes U+FFFD, so printed configuration always reads back.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
