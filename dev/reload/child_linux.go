package reload

import "syscall"

// childProcAttr has the kernel SIGKILL the program when the watcher dies
// without stopping it (kill -9, a crash).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
