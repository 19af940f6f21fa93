package reload

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/config"
)

// The boundary between the watcher and the program it runs: environment
// variables mark the child, and the listeners sit at fixed descriptors.
const (
	// EnvListeners holds the number of listeners the watcher passed; its
	// presence marks a process the watcher started.
	EnvListeners = "DROVER_DEV_LISTENERS"
	// EnvFailureFile names the file that, while it exists, holds the
	// failure page the program shows instead of the application.
	EnvFailureFile = "DROVER_DEV_FAILURE_FILE"
	// FDFirstListener is the first inherited listener; the others follow
	// in --bind order.
	FDFirstListener = 3
)

// Inherited opens what the watcher passed to this process: the listeners
// and the failure file's path. A process the watcher did not start gets
// nil, "" and no error.
func Inherited(getenv func(string) string) (listeners []net.Listener, failureFile string, err error) {
	v := getenv(EnvListeners)
	if v == "" {
		return nil, "", nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return nil, "", fmt.Errorf("%s=%q: not started by drover dev --reload", EnvListeners, v)
	}
	for i := range n {
		fd := FDFirstListener + i
		f := os.NewFile(uintptr(fd), "drover-dev-listener-"+strconv.Itoa(i))
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return nil, "", fmt.Errorf("open inherited listener fd %d: %w", fd, err)
		}
		listeners = append(listeners, l)
	}
	return listeners, getenv(EnvFailureFile), nil
}

// socket is one bound address the watcher holds for its whole life.
type socket struct {
	ln net.Listener
	// file is a duplicate descriptor handed to each program it starts.
	file *os.File
}

// bindAll binds every address, as drover dev does itself: TCP or unix.
func bindAll(binds []string) ([]socket, error) {
	var out []socket
	fail := func(err error) ([]socket, error) {
		closeAll(out)
		return nil, err
	}
	for _, addr := range binds {
		b, err := config.ParseBind(addr)
		if err == nil && b.Network == "fd" {
			err = fmt.Errorf("fd:// is for drover serve")
		}
		var ln net.Listener
		if err == nil {
			ln, err = net.Listen(b.Network, b.Address)
		}
		if err != nil {
			return fail(fmt.Errorf("bind %s: %w", addr, err))
		}
		f, err := dupFile(ln)
		if err != nil {
			ln.Close()
			return fail(fmt.Errorf("bind %s: %w", addr, err))
		}
		out = append(out, socket{ln: ln, file: f})
	}
	return out, nil
}

// dupFile duplicates ln's descriptor with fcntl rather than ln.File: an
// os.File made by net's File would put the shared open file description
// into blocking mode when os/exec reads its Fd, leaving the program's
// accept(2) blocking in the kernel, deaf to its own Shutdown.
func dupFile(ln net.Listener) (*os.File, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("%T cannot be passed to a child process", ln)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup, dupErr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) { dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, fmt.Errorf("duplicate descriptor: %w", dupErr)
	}
	return os.NewFile(uintptr(dup), ln.Addr().String()), nil
}

func closeAll(socks []socket) {
	for _, s := range socks {
		s.file.Close()
		s.ln.Close() // a unix socket's file is removed here
	}
}

func listenersOf(socks []socket) []net.Listener {
	out := make([]net.Listener, len(socks))
	for i, s := range socks {
		out[i] = s.ln
	}
	return out
}
