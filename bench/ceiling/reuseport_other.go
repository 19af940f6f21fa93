//go:build !linux

package main

import (
	"errors"
	"syscall"
)

// reusePort fails: the benchmark runs on Linux only.
func reusePort(network, address string, c syscall.RawConn) error {
	return errors.New("--reuseport: Linux only")
}
