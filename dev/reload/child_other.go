//go:build !linux

package reload

import "syscall"

// childProcAttr: without PDEATHSIG, a program whose watcher was killed
// outright keeps running until stopped by hand.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
