package app

import (
	"net"
	"net/netip"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	prefixes := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("::ffff:192.0.2.0/120"), // IPv4-mapped: compared as 192.0.2.0/24
		netip.MustParsePrefix("2001:db8::1/128"),
		{}, // invalid: skipped
	}
	tests := []struct {
		name     string
		giveAll  bool
		givePeer net.Addr
		want     bool
	}{
		{name: "unix peer", givePeer: &net.UnixAddr{Name: "@", Net: "unix"}, want: true},
		{name: "in a prefix", givePeer: tcp("10.1.2.3:80"), want: true},
		{name: "outside", givePeer: tcp("11.0.0.1:80"), want: false},
		{name: "mapped peer, IPv4 prefix", givePeer: tcp("[::ffff:10.0.0.1]:80"), want: true},
		{name: "IPv4 peer, mapped prefix", givePeer: tcp("192.0.2.9:80"), want: true},
		{name: "IPv6 with a zone", givePeer: tcp("[2001:db8::1%eth0]:80"), want: true},
		{name: "all", giveAll: true, givePeer: tcp("203.0.113.1:80"), want: true},
		{name: "another kind of address", giveAll: true, givePeer: &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1)}, want: false},
		{name: "nil", givePeer: nil, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewTrustedProxies(prefixes, tt.giveAll)
			if got := p.Trusts(tt.givePeer); got != tt.want {
				t.Errorf("Trusts(%v) = %v, want %v", tt.givePeer, got, tt.want)
			}
		})
	}
}

func TestTrustedProxiesZero(t *testing.T) {
	var p TrustedProxies
	if !p.Trusts(&net.UnixAddr{Name: "/run/drover.sock", Net: "unix"}) {
		t.Errorf("zero TrustedProxies: unix peer untrusted, want trusted")
	}
	if p.TrustsAddr(netip.MustParseAddr("127.0.0.1")) {
		t.Errorf("zero TrustedProxies: TrustsAddr(127.0.0.1) = true, want false")
	}
	if NewTrustedProxies(nil, true).TrustsAddr(netip.Addr{}) {
		t.Errorf("TrustsAddr(invalid) = true with all, want false")
	}
}
