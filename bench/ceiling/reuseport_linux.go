package main

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort is a net.ListenConfig Control setting SO_REUSEPORT on the
// socket before it binds.
func reusePort(network, address string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); cerr != nil {
		return cerr
	}
	return err
}
