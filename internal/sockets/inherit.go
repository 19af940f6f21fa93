package sockets

import (
	"fmt"
	"net"
	"os"
)

// Listener is an inherited socket with the name and role its parent
// gave it.
type Listener struct {
	net.Listener
	name string
	role Role
}

// Name is the parent's name for the socket.
func (l *Listener) Name() string { return l.name }

// Role is what the socket is for.
func (l *Listener) Role() Role { return l.role }

// RoleOf is l's role: its own for an inherited listener (or any listener
// with a Role method), RoleApp for any other.
func RoleOf(l net.Listener) Role {
	if r, ok := l.(interface{ Role() Role }); ok {
		return r.Role()
	}
	return RoleApp
}

// Select returns, in order, the listeners in ls whose RoleOf is role.
func Select(ls []net.Listener, role Role) []net.Listener {
	var out []net.Listener
	for _, l := range ls {
		if RoleOf(l) == role {
			out = append(out, l)
		}
	}
	return out
}

// Inherit opens the sockets a parent passed this process: env is the
// value the parent's Env wrote, and the sockets sit from descriptor
// firstFD on, one per entry, in order. It takes the descriptors over
// (they are closed once opened as listeners). On error it closes the
// listeners it opened.
func Inherit(env string, firstFD int) ([]*Listener, error) {
	specs, err := Parse(env)
	if err != nil {
		return nil, err
	}
	out := make([]*Listener, 0, len(specs))
	for i, s := range specs {
		fd := firstFD + i
		f := os.NewFile(uintptr(fd), s.Name)
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("open listener %s (%s) at fd %d: %w", s.Name, s.Role, fd, err)
		}
		out = append(out, &Listener{Listener: l, name: s.Name, role: s.Role})
	}
	return out, nil
}

// NetListeners returns ls as net.Listeners (RoleOf still finds their
// roles).
func NetListeners(ls []*Listener) []net.Listener {
	out := make([]net.Listener, len(ls))
	for i, l := range ls {
		out[i] = l
	}
	return out
}
