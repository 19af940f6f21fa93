package server

import (
	"fmt"
	"net"
	"os"

	"github.com/coreos/go-systemd/v22/activation"
	"go.uber.org/zap"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// listener is one bound socket the supervisor holds for the workers.
type listener struct {
	// name is how logs and the workers' environment name the socket:
	// "127.0.0.1:8000", "unix:/run/drover.sock", "systemd:[::]:8000".
	name string
	// role says whether workers serve it with the application or as
	// --http-redirect's plain-HTTP socket.
	role sockets.Role
	ln   net.Listener
	// file is a duplicate descriptor passed to every worker.
	file *os.File
}

// bindAll opens every socket: systemd's when it passed any (socket
// activation), else each --bind address; and --http-redirect's, bound by
// drover even under socket activation, which workers find by its role.
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
	ln, err := sockets.Listen(b, sockets.Options{Backlog: cfg.Backlog})
	if err != nil {
		return nil, err
	}
	h, err := sockets.Hold("redirect:"+b.String(), sockets.RoleRedirect, ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return fromHeld([]*sockets.Held{h})[0], nil
}

// bindServed opens the sockets served with the application: systemd's
// when it passed any, else each --bind address.
func bindServed(cfg config.Server, log *zap.Logger) ([]*listener, error) {
	activated, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("systemd socket activation: %w", err)
	}
	if len(activated) > 0 {
		var out []*listener
		for i, ln := range activated {
			if ln == nil {
				closeAll(out)
				return nil, fmt.Errorf("systemd socket activation: descriptor %d is not a stream socket", 3+i)
			}
			h, err := sockets.Hold("systemd:"+ln.Addr().String(), sockets.RoleApp, ln)
			if err != nil {
				closeAll(out)
				return nil, err
			}
			out = append(out, fromHeld([]*sockets.Held{h})...)
		}
		log.Info("using sockets from systemd", zap.Int("count", len(out)), zap.Strings("ignored_bind", cfg.Bind))
		return out, nil
	}
	owner, err := cfg.SocketOwnerIDs()
	if err != nil {
		return nil, err
	}
	bs, err := sockets.ListenAll(cfg.Bind, sockets.Options{
		Backlog: cfg.Backlog,
		Unix:    &sockets.Perm{Mode: cfg.SocketMode, Owner: owner},
		FD:      true,
	})
	if err != nil {
		return nil, err
	}
	hs, err := sockets.HoldAll(bs, sockets.RoleApp)
	if err != nil {
		return nil, err
	}
	return fromHeld(hs), nil
}

func fromHeld(hs []*sockets.Held) []*listener {
	out := make([]*listener, len(hs))
	for i, h := range hs {
		out[i] = &listener{name: h.Name, role: h.Role, ln: h.Listener, file: h.File}
	}
	return out
}

func held(ls []*listener) []*sockets.Held {
	out := make([]*sockets.Held, len(ls))
	for i, l := range ls {
		out[i] = &sockets.Held{Name: l.name, Role: l.role, Listener: l.ln, File: l.file}
	}
	return out
}

func closeAll(ls []*listener) { sockets.CloseAll(held(ls)) }

// inheritEnv is what a worker's environment needs to find the listeners
// inheritFiles passes it, by name and role.
func inheritEnv(ls []*listener) []string {
	return []string{proto.EnvListeners + "=" + sockets.Env(held(ls))}
}

// inheritFiles are the listeners' descriptors in the order inheritEnv
// lists them, for a worker to find from proto.FDFirstListener on.
func inheritFiles(ls []*listener) []*os.File {
	return sockets.Files(held(ls))
}
