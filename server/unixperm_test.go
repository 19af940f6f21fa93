package server

import (
	"io/fs"
	"net"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/sockets"
)

// unixPerm and bindUnix keep the supervisor's unix-socket tests, written
// before binding moved to internal/sockets, reading as they did: the
// supervisor binds through sockets.ListenUnix.
type unixPerm struct {
	mode  fs.FileMode
	owner config.Owner
}

func bindUnix(path string, perm unixPerm) (net.Listener, error) {
	return sockets.ListenUnix(path, sockets.Perm{Mode: perm.mode, Owner: perm.owner})
}
