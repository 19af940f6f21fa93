package app

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

const (
	headerForwardedFor   = "X-Forwarded-For"
	headerForwardedProto = "X-Forwarded-Proto"
)

// ClientIP returns the client address of the request whose context is ctx:
// the peer, or what X-Forwarded-For says when the peer is a trusted proxy.
// The address is invalid (netip.Addr{}) when it is unknown, as for a
// unix-socket peer that sent no X-Forwarded-For, and outside [Chain].
// IPv4-mapped IPv6 addresses are returned as IPv4.
func ClientIP(ctx context.Context) netip.Addr {
	if ex := exchangeFrom(ctx); ex != nil {
		return ex.client
	}
	return netip.Addr{}
}

// Scheme returns "https" or "http" for the request whose context is ctx:
// X-Forwarded-Proto when a trusted proxy sent it, else whether the
// connection itself is TLS. Outside [Chain] it returns "http".
func Scheme(ctx context.Context) string {
	if ex := exchangeFrom(ctx); ex != nil {
		return ex.scheme
	}
	return "http"
}

// clientIP is the layer that works out the client address and the scheme.
type clientIP struct {
	proxies TrustedProxies
}

func newClientIP(cfg Config) *clientIP {
	return &clientIP{proxies: NewTrustedProxies(cfg.ForwardedAllowIPs, cfg.TrustAllProxies)}
}

func (c *clientIP) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex, w, r, owner := begin(w, r)
		if owner {
			defer ex.end(r)
		}
		peer, peerText, unix := parsePeer(r.RemoteAddr)
		client, text := peer, peerText
		if c.proxies.trustsPeer(peer, unix) {
			client, text = forwardedClient(client, text, r.Header.Values(headerForwardedFor), c.proxies)
			if proto, ok := forwardedProto(r.Header.Values(headerForwardedProto)); ok {
				ex.scheme = proto
			}
		}
		ex.client = client
		if client.IsValid() {
			ex.clientText = addrText(client, text)
		}
		next.ServeHTTP(w, r)
	})
}

// parsePeer interprets http.Request.RemoteAddr. A TCP peer is "ip:port"; a
// unix-socket peer is "" or "@" (or a path). Anything else gives an invalid
// address and unix == false: an unknown peer is not trusted. text is the
// address part of remote, for addrText.
func parsePeer(remote string) (addr netip.Addr, text string, unix bool) {
	if remote == "" || remote[0] == '@' || remote[0] == '/' {
		return netip.Addr{}, "", true
	}
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		text = remote[:strings.LastIndexByte(remote, ':')]
		return ap.Addr().Unmap(), strings.Trim(text, "[]"), false
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.Unmap(), remote, false
	}
	return netip.Addr{}, "", false
}

// forwardedClient walks X-Forwarded-For (all header lines, in order) from
// right to left, starting from the peer: addresses that are themselves
// trusted proxies are skipped and the first untrusted one is the client. If
// every entry is trusted the leftmost is the client. A malformed entry stops
// the walk and the last good address (or the peer) is the client, so the
// result is always the peer or an address taken from the header.
func forwardedClient(peer netip.Addr, peerText string, values []string, p TrustedProxies) (netip.Addr, string) {
	client, text := peer, peerText
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for {
			j := strings.LastIndexByte(v, ',')
			a, src, ok := parseForwarded(v[j+1:])
			if !ok {
				return client, text
			}
			client, text = a, src
			if !p.TrustsAddr(a) {
				return client, text
			}
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	return client, text
}

// parseForwarded parses one X-Forwarded-For entry: an IP address, optionally
// in brackets or with a port ("203.0.113.7:4711", "[2001:db8::7]:4711"),
// surrounded by optional whitespace. Zones are refused: a client behind a
// proxy has no meaningful zone. src is the address part of entry.
func parseForwarded(entry string) (a netip.Addr, src string, ok bool) {
	src = strings.Trim(entry, " \t")
	if src == "" {
		return netip.Addr{}, "", false
	}
	a, err := netip.ParseAddr(src)
	if err != nil {
		ap, perr := netip.ParseAddrPort(src)
		switch {
		case perr == nil:
			a, src = ap.Addr(), strings.Trim(src[:strings.LastIndexByte(src, ':')], "[]")
		case len(src) > 2 && src[0] == '[' && src[len(src)-1] == ']':
			src = src[1 : len(src)-1]
			if a, err = netip.ParseAddr(src); err != nil || a.Is4() {
				return netip.Addr{}, "", false
			}
		default:
			return netip.Addr{}, "", false
		}
	}
	if a.Zone() != "" {
		return netip.Addr{}, "", false
	}
	return a.Unmap(), src, true
}

// forwardedProto returns the scheme a trusted proxy sent: exactly one
// X-Forwarded-Proto value, "http" or "https" in any case. Anything else is
// ignored.
func forwardedProto(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	v := strings.Trim(values[0], " \t")
	switch {
	case strings.EqualFold(v, "https"):
		return "https", true
	case strings.EqualFold(v, "http"):
		return "http", true
	}
	return "", false
}

// addrText returns a as text, reusing src (a substring of the request) when
// it is already the canonical form, so the common case allocates nothing.
func addrText(a netip.Addr, src string) string {
	var buf [64]byte
	b := a.AppendTo(buf[:0])
	if string(b) == src {
		return src
	}
	return string(b)
}
