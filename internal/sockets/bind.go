package sockets

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Bind is one parsed --bind address.
type Bind struct {
	// Network is "tcp", "unix" or "fd".
	Network string
	// Address is HOST:PORT for tcp and the socket path for unix.
	Address string
	// FD is the inherited descriptor number for "fd".
	FD int
}

// String returns the bind in the form ParseBind reads.
func (b Bind) String() string {
	switch b.Network {
	case "unix":
		if strings.HasPrefix(b.Address, "//") {
			return "unix://" + b.Address // unix://X would read back as X
		}
		return "unix:" + b.Address
	case "fd":
		return "fd://" + strconv.Itoa(b.FD)
	}
	return b.Address
}

// ParseBind reads a bind address as Gunicorn does: "HOST:PORT",
// "[::1]:PORT", "HOST" (port 8000), ":PORT" (every interface),
// "unix:PATH" and "fd://N".
func ParseBind(s string) (Bind, error) {
	switch {
	case s == "":
		return Bind{}, fmt.Errorf("empty address")
	case strings.HasPrefix(s, "unix:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "unix:"), "//")
		if path == "" || strings.ContainsRune(path, 0) {
			return Bind{}, fmt.Errorf("%q: unix socket needs a path, like unix:/run/drover/drover.sock", s)
		}
		if len(path) > 107 {
			return Bind{}, fmt.Errorf("%q: unix socket path longer than 107 bytes", s)
		}
		return Bind{Network: "unix", Address: path}, nil
	case strings.HasPrefix(s, "fd://"):
		fd, err := strconv.Atoi(strings.TrimPrefix(s, "fd://"))
		if err != nil || fd < 3 {
			return Bind{}, fmt.Errorf("%q: fd:// needs an inherited descriptor number of 3 or more", s)
		}
		return Bind{Network: "fd", FD: fd}, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// A bare host or IPv6 literal means port 8000, as in Gunicorn.
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), "8000"
		if strings.ContainsAny(host, "[]") || strings.HasPrefix(s, "[") != strings.HasSuffix(s, "]") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
			return Bind{}, fmt.Errorf("%q is not HOST:PORT, unix:PATH or fd://N", s)
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return Bind{}, fmt.Errorf("%q: port must be a number from 0 to 65535", s)
	}
	if strings.ContainsAny(host, " /\x00") || host == "unix" { // "unix:PORT" would read back as a socket path
		return Bind{}, fmt.Errorf("%q: invalid host", s)
	}
	return Bind{Network: "tcp", Address: net.JoinHostPort(host, strconv.Itoa(n))}, nil
}
