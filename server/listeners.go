package server

import (
	"fmt"
	"os"

	"github.com/coreos/go-systemd/v22/activation"
	"go.uber.org/zap"

	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// bindAll opens every socket: systemd's when it passed any (socket
// activation), else each --bind address; and --http-redirect's, bound by
// drover even under socket activation, which workers find by its role.
func bindAll(cfg Sockets, log *zap.Logger) ([]*sockets.Held, error) {
	out, err := bindServed(cfg, log)
	if err != nil || cfg.RedirectBind == "" {
		return out, err
	}
	l, err := bindRedirect(cfg)
	if err != nil {
		sockets.CloseAll(out)
		return nil, fmt.Errorf("http-redirect: %w", err)
	}
	return append(out, l), nil
}

// bindRedirect opens --http-redirect's TCP socket.
func bindRedirect(cfg Sockets) (*sockets.Held, error) {
	b, err := sockets.ParseBind(cfg.RedirectBind)
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
	return h, nil
}

// bindServed opens the sockets served with the application: systemd's
// when it passed any, else each --bind address.
func bindServed(cfg Sockets, log *zap.Logger) ([]*sockets.Held, error) {
	activated, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("systemd socket activation: %w", err)
	}
	if len(activated) > 0 {
		var out []*sockets.Held
		for i, ln := range activated {
			if ln == nil {
				sockets.CloseAll(out)
				return nil, fmt.Errorf("systemd socket activation: descriptor %d is not a stream socket", 3+i)
			}
			h, err := sockets.Hold("systemd:"+ln.Addr().String(), sockets.RoleApp, ln)
			if err != nil {
				sockets.CloseAll(out)
				return nil, err
			}
			out = append(out, h)
		}
		log.Info("using sockets from systemd", zap.Int("count", len(out)), zap.Strings("ignored_bind", cfg.Bind))
		return out, nil
	}
	owner := Owner{UID: -1, GID: -1}
	if cfg.SocketOwner != nil {
		owner = *cfg.SocketOwner
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
	return hs, nil
}

// inheritEnv is what a worker's environment needs to find the listeners
// inheritFiles passes it, by name and role.
func inheritEnv(ls []*sockets.Held) []string {
	return []string{proto.EnvListeners + "=" + sockets.Env(ls)}
}

// inheritFiles are the listeners' descriptors in the order inheritEnv
// lists them, for a worker to find from proto.FDFirstListener on.
func inheritFiles(ls []*sockets.Held) []*os.File {
	return sockets.Files(ls)
}
