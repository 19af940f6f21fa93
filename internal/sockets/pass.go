package sockets

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Held is a socket a parent keeps for its children: the listener it
// bound, and a duplicate of its descriptor to pass to each child.
type Held struct {
	// Name names the socket in logs and in the children's environment.
	Name string
	// Role is what the socket is for.
	Role Role
	// Listener is the parent's own socket. The parent never accepts on
	// it while children serve.
	Listener net.Listener
	// File is the duplicate descriptor passed to every child.
	File *os.File
}

// Hold keeps ln and a duplicate of its descriptor to pass to children.
// On error ln is left open, to the caller.
//
// The duplicate is made with fcntl and wrapped by os.NewFile rather than
// taken from ln.File: a net listener's File puts the shared open file
// description into blocking mode when os/exec reads its Fd, which would
// leave every child's accept(2) blocking in the kernel, deaf to Close.
func Hold(name string, role Role, ln net.Listener) (*Held, error) {
	f, err := Dup(ln, name)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	return &Held{Name: name, Role: role, Listener: ln, File: f}, nil
}

// HoldAll holds every socket ListenAll bound, each named by its address,
// with role. On failure it closes them all, held or not.
func HoldAll(bs []Bound, role Role) ([]*Held, error) {
	out := make([]*Held, 0, len(bs))
	for i, b := range bs {
		h, err := Hold(b.Bind.String(), role, b.Listener)
		if err != nil {
			CloseAll(out)
			for _, b := range bs[i:] {
				b.Listener.Close()
			}
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// Dup duplicates ln's descriptor (close-on-exec, so only a child given it
// as an extra file inherits it) without changing its blocking mode: see
// Hold. The file is named name.
func Dup(ln net.Listener, name string) (*os.File, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("%T cannot be passed to a child process", ln)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("duplicate descriptor: %w", err)
	}
	dup, dupErr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) { dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, fmt.Errorf("duplicate descriptor: %w", err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("duplicate descriptor: %w", dupErr)
	}
	return os.NewFile(uintptr(dup), name), nil
}

// Close closes the duplicate and the listener; a unix socket's file is
// removed with it.
func (h *Held) Close() error {
	ferr := h.File.Close()
	if err := h.Listener.Close(); err != nil {
		return fmt.Errorf("close %s: %w", h.Name, err)
	}
	if ferr != nil {
		return fmt.Errorf("close %s: %w", h.Name, ferr)
	}
	return nil
}

// CloseAll closes every held socket; there is nothing to do about a
// failure, the sockets are being given up.
func CloseAll(hs []*Held) {
	for _, h := range hs {
		_ = h.Close()
	}
}

// Env is the environment value that tells a child what Files passes it:
// put it in the variable the child reads with Inherit.
func Env(hs []*Held) string {
	specs := make([]Spec, len(hs))
	for i, h := range hs {
		specs[i] = Spec{Role: h.Role, Name: h.Name}
	}
	return Format(specs)
}

// Files are the descriptors to pass a child, in the order Env lists
// them: append them to exec.Cmd.ExtraFiles so that the first sits at the
// descriptor the child gives Inherit.
func Files(hs []*Held) []*os.File {
	files := make([]*os.File, len(hs))
	for i, h := range hs {
		files[i] = h.File
	}
	return files
}

// Listeners are the parent's own sockets of hs, for what it serves or
// reports itself.
func Listeners(hs []*Held) []net.Listener {
	out := make([]net.Listener, len(hs))
	for i, h := range hs {
		out[i] = h.Listener
	}
	return out
}
