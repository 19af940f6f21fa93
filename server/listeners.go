package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/coreos/go-systemd/v22/activation"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/proto"
)

// listener is one bound socket the supervisor holds for the workers.
type listener struct {
	name string
	ln   net.Listener
	// file is a duplicate descriptor passed to every worker.
	file *os.File
}

// bindAll opens every socket: systemd's when it passed any (socket
// activation), else each --bind address.
//
// --http-redirect's socket comes last, bound by drover even under socket
// activation: workers serve the last listener as plain HTTP when it is set.
func bindAll(cfg config.Server, log *zap.Logger) ([]*listener, error) {
	out, err := bindServed(cfg, log)
	if err != nil || cfg.RedirectBind == "" {
		return out, err
	}
	l, err := bindRedirect(cfg)
	if err != nil {
		closeAll(out)
		return nil, fmt.Errorf("http-redirect: %w", err)
	}
	return append(out, l), nil
}

// bindRedirect opens --http-redirect's TCP socket.
func bindRedirect(cfg config.Server) (*listener, error) {
	b, err := config.ParseBind(cfg.RedirectBind)
	if err != nil {
		return nil, err
	}
	ln, err := bind(b, cfg.Backlog, unixPerm{})
	if err != nil {
		return nil, err
	}
	l, err := hold("redirect:"+b.String(), ln)
	if err != nil {
		ln.Close()
	}
	return l, err
}

// bindServed opens the sockets served with the application: systemd's
// when it passed any, else each --bind address.
func bindServed(cfg config.Server, log *zap.Logger) ([]*listener, error) {
	activated, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("systemd socket activation: %w", err)
	}
	var out []*listener
	if len(activated) > 0 {
		for i, ln := range activated {
			if ln == nil {
				closeAll(out)
				return nil, fmt.Errorf("systemd socket activation: descriptor %d is not a stream socket", 3+i)
			}
			l, err := hold("systemd:"+ln.Addr().String(), ln)
			if err != nil {
				closeAll(out)
				return nil, err
			}
			out = append(out, l)
		}
		log.Info("using sockets from systemd", zap.Int("count", len(out)), zap.Strings("ignored_bind", cfg.Bind))
		return out, nil
	}
	owner, err := cfg.SocketOwnerIDs()
	if err != nil {
		return nil, err
	}
	perm := unixPerm{mode: cfg.SocketMode, owner: owner}
	for _, addr := range cfg.Bind {
		b, err := config.ParseBind(addr)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("bind: %w", err)
		}
		ln, err := bind(b, cfg.Backlog, perm)
		if err != nil {
			closeAll(out)
			return nil, err
		}
		l, err := hold(b.String(), ln)
		if err != nil {
			ln.Close()
			closeAll(out)
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// hold keeps ln and a duplicate of its descriptor to pass to workers.
//
// The duplicate is made with fcntl and wrapped by os.NewFile rather than
// taken from ln.File: a net listener's File puts the shared open file
// description into blocking mode when os/exec reads its Fd, which would
// leave every worker's accept(2) blocking in the kernel, deaf to Close.
func hold(name string, ln net.Listener) (*listener, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("bind %s: %T cannot be passed to workers", name, ln)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	dup, dupErr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) { dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("bind %s: duplicate descriptor: %w", name, dupErr)
	}
	return &listener{name: name, ln: ln, file: os.NewFile(uintptr(dup), name)}, nil
}

// unixPerm is the mode and owner given to unix sockets drover creates. The
// default mode, 0660, lets the owner and its group (nginx's, typically)
// connect, nobody else.
type unixPerm struct {
	mode  fs.FileMode
	owner config.Owner
}

func bind(b config.Bind, backlog int, perm unixPerm) (net.Listener, error) {
	var ln net.Listener
	var err error
	switch b.Network {
	case "tcp":
		ln, err = net.Listen("tcp", b.Address)
	case "unix":
		ln, err = bindUnix(b.Address, perm)
	case "fd":
		f := os.NewFile(uintptr(b.FD), b.String())
		ln, err = net.FileListener(f)
		f.Close()
	default:
		err = fmt.Errorf("unknown network %q", b.Network)
	}
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", b, err)
	}
	if b.Network != "fd" {
		if err := setBacklog(ln, backlog); err != nil {
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
		return err
	}
	var lerr error
	if err := raw.Control(func(fd uintptr) { lerr = unix.Listen(int(fd), backlog) }); err != nil {
		return err
	}
	if lerr != nil {
		return fmt.Errorf("listen backlog %d: %w", backlog, lerr)
	}
	return nil
}

// bindUnix creates a unix socket with perm's mode and owner, replacing a
// stale socket file nobody listens on but refusing to touch any other file.
func bindUnix(path string, perm unixPerm) (net.Listener, error) {
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
	if perm.owner.UID != -1 || perm.owner.GID != -1 {
		if err := os.Lchown(path, perm.owner.UID, perm.owner.GID); err != nil {
			ln.Close()
			return nil, fmt.Errorf("socket owner: %w", err)
		}
	}
	if err := os.Chmod(path, perm.mode); err != nil {
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

func closeAll(ls []*listener) {
	for _, l := range ls {
		l.file.Close()
		l.ln.Close()
	}
}

// inheritEnv is what a worker's environment needs to find the listeners
// inheritFiles passes it.
func inheritEnv(ls []*listener) []string {
	return []string{proto.EnvListeners + "=" + strconv.Itoa(len(ls))}
}

// inheritFiles are the listeners' descriptors in the order a worker
// finds them, from proto.FDFirstListener on.
func inheritFiles(ls []*listener) []*os.File {
	files := make([]*os.File, 0, len(ls))
	for _, l := range ls {
		files = append(files, l.file)
	}
	return files
}
