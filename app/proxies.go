package app

import (
	"net"
	"net/netip"
)

// TrustedProxies is drover's one trusted-proxy rule: which peers are
// believed about the client. The chain believes their X-Forwarded-For and
// X-Forwarded-Proto; a worker with --proxy-protocol lets them, and only
// them, send a PROXY header.
//
// A unix-socket peer is always trusted: only processes on this host can
// connect, and the socket's mode says which. A TCP peer is trusted when its
// address is in one of the prefixes, or always when all is set
// (forwarded_allow_ips = "*"). IPv4-mapped IPv6 addresses and prefixes are
// compared as IPv4 and zones are ignored.
//
// The zero TrustedProxies trusts unix-socket peers only. A TrustedProxies
// is immutable and safe for concurrent use.
type TrustedProxies struct {
	all      bool
	prefixes []netip.Prefix
}

// NewTrustedProxies returns the rule for prefixes (invalid ones are
// skipped) or, with all, for every peer. The prefixes are normalised once
// here: masked, and IPv4-mapped IPv6 prefixes turned into IPv4 ones,
// because addresses are compared unmapped.
func NewTrustedProxies(prefixes []netip.Prefix, all bool) TrustedProxies {
	p := TrustedProxies{all: all}
	for _, pfx := range prefixes {
		if !pfx.IsValid() {
			continue
		}
		if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
		}
		p.prefixes = append(p.prefixes, pfx.Masked())
	}
	return p
}

// Trusts reports whether the peer at addr, a connection's RemoteAddr, is a
// trusted proxy: a *net.UnixAddr always is, a *net.TCPAddr when its address
// is trusted ([TrustedProxies.TrustsAddr]), any other kind of address never.
func (p TrustedProxies) Trusts(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.UnixAddr:
		return p.trustsPeer(netip.Addr{}, true)
	case *net.TCPAddr:
		return p.trustsPeer(a.AddrPort().Addr(), false)
	}
	return false
}

// TrustsAddr reports whether a TCP peer (or an X-Forwarded-For hop) at a is
// a trusted proxy. The invalid address is not.
func (p TrustedProxies) TrustsAddr(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	if p.all {
		return true
	}
	a = a.Unmap().WithZone("")
	for _, pfx := range p.prefixes {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// trustsPeer is the rule itself, for a peer at a or on a unix socket.
func (p TrustedProxies) trustsPeer(a netip.Addr, unix bool) bool {
	return unix || p.TrustsAddr(a)
}
