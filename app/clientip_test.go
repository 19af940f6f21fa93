package app

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// testProxies is the trusted-proxy configuration of the client IP tests.
func testProxies() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("::ffff:192.168.0.0/112"), // IPv4-mapped form of 192.168.0.0/16
	}
}

// clientOf runs r through the client IP layer and returns what a handler sees.
func clientOf(cfg Config, r *http.Request) (client, text, scheme string) {
	h := newClientIP(cfg).wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := ClientIP(r.Context()); a.IsValid() {
			client = a.String()
		}
		text = exchangeFrom(r.Context()).clientText
		scheme = Scheme(r.Context())
	}))
	serve(h, r)
	return client, text, scheme
}

func TestClientIP(t *testing.T) {
	trusted := Config{ForwardedAllowIPs: testProxies()}
	tests := []struct {
		name       string
		giveCfg    Config
		giveRemote string
		giveXFF    []string // X-Forwarded-For header lines
		wantClient string   // "" = unknown
	}{
		{name: "untrusted peer, no header", giveCfg: trusted, giveRemote: "203.0.113.9:1234", wantClient: "203.0.113.9"},
		{name: "untrusted peer's header ignored", giveCfg: trusted, giveRemote: "203.0.113.9:1234", giveXFF: []string{"198.51.100.7"}, wantClient: "203.0.113.9"},
		{name: "no proxies configured", giveCfg: Config{}, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7"}, wantClient: "10.0.0.1"},
		{name: "trusted peer, no header", giveCfg: trusted, giveRemote: "10.0.0.1:1234", wantClient: "10.0.0.1"},
		{name: "trusted peer, one entry", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "trusted hops skipped", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7, 10.0.0.2, 127.0.0.1"}, wantClient: "198.51.100.7"},
		{name: "spoofed leftmost ignored", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"6.6.6.6, 198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "all trusted: leftmost", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"10.0.0.3, 10.0.0.2"}, wantClient: "10.0.0.3"},
		{name: "header lines concatenated", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"6.6.6.6", "198.51.100.7, 10.0.0.2"}, wantClient: "198.51.100.7"},
		{name: "header lines, client in first", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7", "10.0.0.2"}, wantClient: "198.51.100.7"},
		{name: "malformed rightmost: peer", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7, garbage"}, wantClient: "10.0.0.1"},
		{name: "malformed middle: last good", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7, bogus, 10.0.0.2"}, wantClient: "10.0.0.2"},
		{name: "empty entry: last good", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7,,10.0.0.2"}, wantClient: "10.0.0.2"},
		{name: "empty header: peer", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{""}, wantClient: "10.0.0.1"},
		{name: "trailing comma: peer", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7,"}, wantClient: "10.0.0.1"},
		{name: "RFC 7239 unknown: peer", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"unknown"}, wantClient: "10.0.0.1"},
		{name: "whitespace", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{" \t198.51.100.7 \t, 10.0.0.2 "}, wantClient: "198.51.100.7"},
		{name: "IPv4 with port", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.7:4711"}, wantClient: "198.51.100.7"},
		{name: "IPv6", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"2001:db8::7"}, wantClient: "2001:db8::7"},
		{name: "IPv6 in brackets", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"[2001:db8::7]"}, wantClient: "2001:db8::7"},
		{name: "IPv6 with port", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"[2001:db8::7]:4711"}, wantClient: "2001:db8::7"},
		{name: "IPv6 non-canonical", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"2001:DB8:0::7"}, wantClient: "2001:db8::7"},
		{name: "IPv4 in brackets refused", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"[198.51.100.7]"}, wantClient: "10.0.0.1"},
		{name: "IPv4-mapped entry unmapped", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"::ffff:198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "zone refused", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"fe80::1%eth0"}, wantClient: "10.0.0.1"},
		{name: "leading zeros refused", giveCfg: trusted, giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.051.100.7"}, wantClient: "10.0.0.1"},
		{name: "IPv4-mapped peer trusted", giveCfg: trusted, giveRemote: "[::ffff:10.0.0.1]:1234", giveXFF: []string{"198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "IPv4-mapped prefix matches IPv4 peer", giveCfg: trusted, giveRemote: "192.168.1.1:1234", giveXFF: []string{"198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "IPv6 peer trusted", giveCfg: trusted, giveRemote: "[::1]:1234", giveXFF: []string{"198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "IPv6 peer untrusted", giveCfg: trusted, giveRemote: "[2001:db8::1]:1234", giveXFF: []string{"198.51.100.7"}, wantClient: "2001:db8::1"},
		{name: "unix socket peer, no header", giveCfg: Config{}, giveRemote: "", wantClient: ""},
		{name: "unix socket peer trusted", giveCfg: Config{}, giveRemote: "", giveXFF: []string{"198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "unix socket @ peer trusted", giveCfg: Config{}, giveRemote: "@", giveXFF: []string{"198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "unix socket, malformed header", giveCfg: Config{}, giveRemote: "@", giveXFF: []string{"nope"}, wantClient: ""},
		{name: "unparsable peer untrusted", giveCfg: Config{TrustAllProxies: true}, giveRemote: "garbage", giveXFF: []string{"198.51.100.7"}, wantClient: ""},
		{name: "peer without port", giveCfg: trusted, giveRemote: "10.0.0.1", giveXFF: []string{"198.51.100.7"}, wantClient: "198.51.100.7"},
		{name: "trust all: leftmost", giveCfg: Config{TrustAllProxies: true}, giveRemote: "203.0.113.9:1234", giveXFF: []string{"6.6.6.6, 198.51.100.7"}, wantClient: "6.6.6.6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.giveRemote
			for _, v := range tt.giveXFF {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, text, _ := clientOf(tt.giveCfg, r)
			if got != tt.wantClient {
				t.Errorf("ClientIP(RemoteAddr %q, X-Forwarded-For %q) = %q, want %q", tt.giveRemote, tt.giveXFF, got, tt.wantClient)
			}
			if text != got {
				t.Errorf("client text = %q, want %q", text, got)
			}
		})
	}
}

func TestScheme(t *testing.T) {
	trusted := Config{ForwardedAllowIPs: testProxies()}
	tests := []struct {
		name       string
		giveRemote string
		giveTLS    bool
		giveXFP    []string // X-Forwarded-Proto header lines
		wantScheme string
	}{
		{name: "plain", giveRemote: "203.0.113.9:1", wantScheme: "http"},
		{name: "TLS", giveRemote: "203.0.113.9:1", giveTLS: true, wantScheme: "https"},
		{name: "untrusted peer's header ignored", giveRemote: "203.0.113.9:1", giveXFP: []string{"https"}, wantScheme: "http"},
		{name: "trusted https", giveRemote: "10.0.0.1:1", giveXFP: []string{"https"}, wantScheme: "https"},
		{name: "trusted HTTPS", giveRemote: "10.0.0.1:1", giveXFP: []string{" HTTPS "}, wantScheme: "https"},
		{name: "trusted http over TLS", giveRemote: "10.0.0.1:1", giveTLS: true, giveXFP: []string{"http"}, wantScheme: "http"},
		{name: "trusted, other scheme ignored", giveRemote: "10.0.0.1:1", giveXFP: []string{"wss"}, wantScheme: "http"},
		{name: "trusted, list ignored", giveRemote: "10.0.0.1:1", giveXFP: []string{"https, http"}, wantScheme: "http"},
		{name: "trusted, two lines ignored", giveRemote: "10.0.0.1:1", giveXFP: []string{"https", "https"}, wantScheme: "http"},
		{name: "unix socket peer", giveRemote: "@", giveXFP: []string{"https"}, wantScheme: "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.giveRemote
			if tt.giveTLS {
				r.TLS = &tls.ConnectionState{}
			}
			for _, v := range tt.giveXFP {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if _, _, got := clientOf(trusted, r); got != tt.wantScheme {
				t.Errorf("Scheme(RemoteAddr %q, TLS %v, X-Forwarded-Proto %q) = %q, want %q", tt.giveRemote, tt.giveTLS, tt.giveXFP, got, tt.wantScheme)
			}
		})
	}
}

func TestClientIPOutsideChain(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if got := ClientIP(r.Context()); got.IsValid() {
		t.Errorf("ClientIP(plain context) = %v, want invalid", got)
	}
	if got := Scheme(r.Context()); got != "http" {
		t.Errorf("Scheme(plain context) = %q, want \"http\"", got)
	}
}

// FuzzClientIP checks the X-Forwarded-For walk on arbitrary input: it never
// panics, an untrusted peer's header is never believed, and the client is
// always the peer or an address written in the header.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:1234", "198.51.100.7, 10.0.0.2", "", false)
	f.Add("10.0.0.1:1234", "6.6.6.6", "198.51.100.7:80,[2001:db8::1]:443", false)
	f.Add("", "::ffff:1.2.3.4, fe80::1%eth0", " 10.0.0.3 ", false)
	f.Add("203.0.113.9:1", "1.2.3.4,,5.6.7.8", "[::1]", true)
	f.Add("@", "unknown", "", false)
	f.Fuzz(func(t *testing.T, remote, xff1, xff2 string, trustAll bool) {
		cfg := Config{ForwardedAllowIPs: testProxies(), TrustAllProxies: trustAll}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header["X-Forwarded-For"] = []string{xff1, xff2}
		got, text, _ := clientOf(cfg, r)
		if text != got {
			t.Fatalf("client text = %q, want %q", text, got)
		}

		peer, _, unix := parsePeer(remote)
		peerText := ""
		if peer.IsValid() {
			peerText = peer.String()
		}
		if got == peerText {
			return
		}
		if !unix && !(peer.IsValid() && NewTrustedProxies(cfg.ForwardedAllowIPs, cfg.TrustAllProxies).TrustsAddr(peer)) {
			t.Fatalf("untrusted peer %q: client = %q, want the peer", remote, got)
		}
		for _, v := range []string{xff1, xff2} {
			for _, e := range strings.Split(v, ",") {
				if candidate(strings.TrimSpace(e)) == got {
					return
				}
			}
		}
		t.Fatalf("client %q is neither the peer %q nor in X-Forwarded-For %q, %q", got, remote, xff1, xff2)
	})
}

// candidate is a lenient, independent reading of one X-Forwarded-For entry.
func candidate(e string) string {
	if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
		return a.Unmap().String()
	}
	if ap, err := netip.ParseAddrPort(e); err == nil {
		return ap.Addr().Unmap().String()
	}
	return "\x00none"
}
