package config_test

import (
	"io/fs"
	"slices"
	"testing"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/sockets"
)

// resolveArgs resolves flags over the defaults with no file and no
// environment.
func resolveArgs(t *testing.T, args ...string) (config.Config, error) {
	t.Helper()
	return config.Resolve(config.Source{Args: args})
}

// errorAsWanted checks err against want ("" for no error) and reports
// whether the case should go on to check the result: only when both say
// there is no error.
func errorAsWanted(t *testing.T, err error, want string) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("error = %v, want none", err)
	case want != "" && (err == nil || err.Error() != want):
		t.Fatalf("error = %v, want %q", err, want)
	}
	return want == ""
}

func TestUmaskAndSocketMode(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantUmask int
		wantMode  fs.FileMode
		wantErr   string
	}{
		{name: "defaults", wantUmask: -1, wantMode: 0o660},
		{name: "umask octal", args: []string{"--umask", "027"}, wantUmask: 0o27, wantMode: 0o660},
		{name: "umask 0o prefix", args: []string{"--umask", "0o077"}, wantUmask: 0o77, wantMode: 0o660},
		{name: "umask zero", args: []string{"--umask", "0"}, wantUmask: 0, wantMode: 0o660},
		{name: "umask empty inherits", args: []string{"--umask", ""}, wantUmask: -1, wantMode: 0o660},
		{name: "socket mode", args: []string{"--socket-mode", "0600"}, wantUmask: -1, wantMode: 0o600},
		{name: "umask not octal", args: []string{"--umask", "089"}, wantErr: `invalid argument "089" for "--umask" flag: "089" is not an octal permission from 0 to 0777`},
		{name: "umask too large", args: []string{"--umask", "1777"}, wantErr: `invalid argument "1777" for "--umask" flag: "1777" is not an octal permission from 0 to 0777`},
		{name: "socket mode words", args: []string{"--socket-mode", "rw"}, wantErr: `invalid argument "rw" for "--socket-mode" flag: "rw" is not an octal permission from 0 to 0777`},
		{name: "socket mode empty", args: []string{"--socket-mode", ""}, wantErr: `invalid argument "" for "--socket-mode" flag: "" is not an octal permission from 0 to 0777`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := resolveArgs(t, tt.args...)
			if !errorAsWanted(t, err, tt.wantErr) {
				return
			}
			if cfg.Server.Umask != tt.wantUmask || cfg.Server.SocketMode != tt.wantMode {
				t.Errorf("umask %o, socket mode %o; want %o, %o", cfg.Server.Umask, cfg.Server.SocketMode, tt.wantUmask, tt.wantMode)
			}
		})
	}
}

func TestTLSAutoDomains(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{name: "one domain", args: []string{"--tls-auto", "api.example.com"}, want: []string{"api.example.com"}},
		{name: "repeated and lower-cased", args: []string{"--tls-auto", "A.example.com", "--tls-auto", "b.example.com."}, want: []string{"a.example.com", "b.example.com"}},
		{name: "wildcard", args: []string{"--tls-auto", "*.example.com"}, want: []string{"*.example.com"}},
		{name: "url", args: []string{"--tls-auto", "https://example.com"}, wantErr: `invalid argument "https://example.com" for "--tls-auto" flag: "https://example.com" is not a domain name`},
		{name: "port", args: []string{"--tls-auto", "example.com:443"}, wantErr: `invalid argument "example.com:443" for "--tls-auto" flag: "example.com:443" is not a domain name`},
		{name: "empty label", args: []string{"--tls-auto", "a..b"}, wantErr: `invalid argument "a..b" for "--tls-auto" flag: "a..b" is not a domain name`},
		{name: "leading hyphen", args: []string{"--tls-auto", "-a.b"}, wantErr: `invalid argument "-a.b" for "--tls-auto" flag: "-a.b" is not a domain name`},
		{name: "underscore", args: []string{"--tls-auto", "a_b.c"}, wantErr: `invalid argument "a_b.c" for "--tls-auto" flag: "a_b.c" is not a domain name`},
		{name: "with certfile", args: []string{"--tls-auto", "a.example", "--certfile", "c", "--keyfile", "k"}, wantErr: "invalid --tls-auto: either certfile/keyfile or tls-auto, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := resolveArgs(t, tt.args...)
			if !errorAsWanted(t, err, tt.wantErr) {
				return
			}
			if !slices.Equal(cfg.TLS.AutoDomains, tt.want) {
				t.Errorf("domains = %q, want %q", cfg.TLS.AutoDomains, tt.want)
			}
			if cfg.TLS.AutoCA != config.LetsEncrypt {
				t.Errorf("CA = %q, want Let's Encrypt", cfg.TLS.AutoCA)
			}
		})
	}
}

func TestCredential(t *testing.T) {
	tests := []struct {
		name       string
		user       string
		group      string
		wantUID    uint32
		wantGID    uint32
		wantNil    bool
		wantErr    string
		wantGroups bool
	}{
		{name: "neither", wantNil: true},
		{name: "user by name takes its primary group", user: "nobody", wantUID: 65534, wantGID: 65534, wantGroups: true},
		{name: "user by ID", user: "65534", wantUID: 65534, wantGID: 65534},
		{name: "user and group by name", user: "nobody", group: "root", wantUID: 65534, wantGID: 0},
		{name: "numeric user without an entry", user: "4242", wantUID: 4242, wantGID: 4242},
		{name: "numeric group", user: "nobody", group: "4343", wantUID: 65534, wantGID: 4343},
		{name: "unknown user", user: "no-such-user-here", wantErr: `invalid user: no user "no-such-user-here"`},
		{name: "unknown group", user: "nobody", group: "no-such-group-here", wantErr: `invalid group: no group "no-such-group-here"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred, err := config.Server{User: tt.user, Group: tt.group}.Credential()
			if !errorAsWanted(t, err, tt.wantErr) {
				return
			}
			if tt.wantNil {
				if cred != nil {
					t.Fatalf("credential = %+v, want nil", cred)
				}
				return
			}
			if cred.UID != tt.wantUID || cred.GID != tt.wantGID {
				t.Errorf("uid/gid = %d/%d, want %d/%d", cred.UID, cred.GID, tt.wantUID, tt.wantGID)
			}
			if tt.wantGroups && !slices.Contains(cred.Groups, tt.wantGID) {
				t.Errorf("groups %v lack the primary group %d", cred.Groups, tt.wantGID)
			}
		})
	}
}

func TestSocketOwnerIDs(t *testing.T) {
	tests := []struct {
		give    string
		want    sockets.Owner
		wantErr string
	}{
		{give: "", want: sockets.Owner{UID: -1, GID: -1}},
		{give: "nobody", want: sockets.Owner{UID: 65534, GID: -1}},
		{give: "nobody:root", want: sockets.Owner{UID: 65534, GID: 0}},
		{give: ":root", want: sockets.Owner{UID: -1, GID: 0}},
		{give: "1000:1001", want: sockets.Owner{UID: 1000, GID: 1001}},
		{give: "nobody:", wantErr: `invalid socket-owner: "nobody:" has an empty group after ':'`},
		{give: "no-such-user-here:root", wantErr: `invalid socket-owner: no user "no-such-user-here"`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := config.Server{SocketOwner: tt.give}.SocketOwnerIDs()
			if errorAsWanted(t, err, tt.wantErr) && got != tt.want {
				t.Errorf("SocketOwnerIDs(%q) = %+v, want %+v", tt.give, got, tt.want)
			}
		})
	}
}

func TestUnknownUserNamesTheFlag(t *testing.T) {
	_, err := resolveArgs(t, "--user", "no-such-user-here")
	if want := `invalid --user: no user "no-such-user-here"`; err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestHTTPRedirectAndChallenge(t *testing.T) {
	tls := []string{"--certfile", "c.pem", "--keyfile", "k.pem"}
	auto := []string{"--tls-auto", "a.example"}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "redirect with certfile", args: append([]string{"--http-redirect", "0.0.0.0:80"}, tls...)},
		{name: "redirect with tls-auto and http-01", args: append([]string{"--http-redirect", "[::]:80", "--tls-auto-challenge", "http-01"}, auto...)},
		{name: "tls-alpn-01 alone", args: append([]string{"--tls-auto-challenge", "tls-alpn-01"}, auto...)},
		{name: "redirect without TLS", args: []string{"--http-redirect", "0.0.0.0:80"}, wantErr: "invalid --http-redirect: redirects to HTTPS, which needs certfile/keyfile or tls-auto"},
		{name: "redirect to a unix socket", args: append([]string{"--http-redirect", "unix:/run/x.sock"}, tls...), wantErr: `invalid --http-redirect: "unix:/run/x.sock" is not a HOST:PORT address`},
		{name: "redirect not an address", args: append([]string{"--http-redirect", "eighty"}, tls...), wantErr: `invalid --http-redirect: "eighty" is not a HOST:PORT address`},
		{name: "http-01 without redirect", args: append([]string{"--tls-auto-challenge", "http-01"}, auto...), wantErr: "invalid --tls-auto-challenge: http-01 is answered on the http-redirect address, which is not set"},
		{name: "unknown challenge", args: append([]string{"--tls-auto-challenge", "dns-01"}, auto...), wantErr: `invalid argument "dns-01" for "--tls-auto-challenge" flag: "dns-01" is not one of any, tls-alpn-01, http-01`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolveArgs(t, tt.args...)
			errorAsWanted(t, err, tt.wantErr)
		})
	}
}
