package sockets

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Options says how Listen creates sockets. The zero value binds TCP and
// unix sockets as net.Listen does and refuses fd://N.
type Options struct {
	// Backlog, when positive, is set as the listen(2) backlog of every
	// TCP and unix socket created; zero keeps Go's (the kernel's
	// somaxconn).
	Backlog int
	// Unix, when set, gives every unix socket created its mode and owner,
	// and replaces a stale socket file nobody listens on (refusing to
	// touch any other file). Nil creates unix sockets as net.Listen does,
	// with the process umask.
	Unix *Perm
	// FD accepts fd://N: a listening descriptor the process inherited.
	// Off, fd://N is refused.
	FD bool
}

// Perm is the mode and owner given to the unix sockets drover creates.
// drover serve's default mode, 0660, lets the owner and its group
// (nginx's, typically) connect, nobody else.
type Perm struct {
	// Mode is the socket file's mode.
	Mode fs.FileMode
	// Owner is the socket file's owner; -1 leaves a part unchanged.
	Owner Owner
}

// Owner is the owner given to a unix socket file (--socket-owner): a UID
// and a GID, -1 for "unchanged".
type Owner struct {
	UID, GID int
}

// Bound is a socket ListenAll opened, with the address it was asked for.
type Bound struct {
	// Bind is the parsed address.
	Bind Bind
	// Listener is the open socket.
	Listener net.Listener
}

// ListenAll parses and binds every address in order; on any failure it
// closes what it opened and returns the error.
func ListenAll(addrs []string, opt Options) ([]Bound, error) {
	out := make([]Bound, 0, len(addrs))
	fail := func(err error) ([]Bound, error) {
		for _, b := range out {
			b.Listener.Close()
		}
		return nil, err
	}
	for _, addr := range addrs {
		b, err := ParseBind(addr)
		if err != nil {
			return fail(fmt.Errorf("bind: %w", err))
		}
		ln, err := Listen(b, opt)
		if err != nil {
			return fail(err)
		}
		out = append(out, Bound{Bind: b, Listener: ln})
	}
	return out, nil
}

// Listen binds b.
func Listen(b Bind, opt Options) (net.Listener, error) {
	var ln net.Listener
	var err error
	switch {
	case b.Network == "tcp":
		ln, err = net.Listen("tcp", b.Address)
	case b.Network == "unix" && opt.Unix != nil:
		ln, err = ListenUnix(b.Address, *opt.Unix)
	case b.Network == "unix":
		ln, err = net.Listen("unix", b.Address)
	case b.Network == "fd" && opt.FD:
		f := os.NewFile(uintptr(b.FD), b.String())
		ln, err = net.FileListener(f)
		f.Close()
	case b.Network == "fd":
		err = errors.New("fd:// is for drover serve")
	default:
		err = fmt.Errorf("unknown network %q", b.Network)
	}
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", b, err)
	}
	if b.Network != "fd" && opt.Backlog > 0 {
		if err := setBacklog(ln, opt.Backlog); err != nil {
			ln.Close()
			return nil, fmt.Errorf("bind %s: %w", b, err)
		}
	}
	return ln, nil
}

// setBacklog calls listen(2) again with the configured backlog; Linux
// applies the new length to a listening socket (Go always uses somaxconn).
func setBacklog(ln net.Listener, backlog int) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("listen backlog %d: %w", backlog, err)
	}
	var lerr error
	if err := raw.Control(func(fd uintptr) { lerr = unix.Listen(int(fd), backlog) }); err != nil {
		return fmt.Errorf("listen backlog %d: %w", backlog, err)
	}
	if lerr != nil {
		return fmt.Errorf("listen backlog %d: %w", backlog, lerr)
	}
	return nil
}

// ListenUnix creates a unix socket at path with perm's mode and owner,
// replacing a stale socket file nobody listens on but refusing to touch
// any other file.
func ListenUnix(path string, perm Perm) (net.Listener, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	// The socket is created with the process umask; tighten it for the
	// moment of bind so the file never exists with a looser mode.
	old := unix.Umask(0o177)
	ln, err := net.Listen("unix", path)
	unix.Umask(old)
	if err != nil {
		return nil, err
	}
	// Owner first, then mode: the socket is never open to a group it is
	// not meant for.
	if perm.Owner.UID != -1 || perm.Owner.GID != -1 {
		if err := os.Lchown(path, perm.Owner.UID, perm.Owner.GID); err != nil {
			ln.Close()
			return nil, fmt.Errorf("socket owner: %w", err)
		}
	}
	if err := os.Chmod(path, perm.Mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("socket mode: %w", err)
	}
	return ln, nil
}

func removeStale(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return fmt.Errorf("%s: another process is listening on it", path)
	}
	return os.Remove(path)
}
