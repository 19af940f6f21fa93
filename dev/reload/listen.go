package reload

import (
	"fmt"
	"net"

	"github.com/drover/drover/internal/sockets"
)

// The boundary between the watcher and the program it runs: environment
// variables mark the child, and the listeners sit at fixed descriptors.
const (
	// EnvListeners names the listeners the watcher passed, with their
	// roles (package sockets: "app=127.0.0.1:8000"); its presence marks a
	// process the watcher started.
	EnvListeners = "DROVER_DEV_LISTENERS"
	// EnvFailureFile names the file that, while it exists, holds the
	// failure page the program shows instead of the application.
	EnvFailureFile = "DROVER_DEV_FAILURE_FILE"
	// FDFirstListener is the first inherited listener; the others follow
	// in --bind order.
	FDFirstListener = 3
)

// Inherited opens what the watcher passed to this process, the program
// called name ("" means "drover"): the listeners (package sockets) and the
// failure file's path. A process the watcher did not start gets nil, ""
// and no error.
func Inherited(name string, getenv func(string) string) (listeners []net.Listener, failureFile string, err error) {
	v := getenv(EnvListeners)
	if v == "" {
		return nil, "", nil
	}
	ls, err := sockets.Inherit(v, FDFirstListener)
	if err != nil {
		if name == "" {
			name = "drover"
		}
		return nil, "", fmt.Errorf("%s=%q: not started by %s dev --reload: %w", EnvListeners, v, name, err)
	}
	return sockets.NetListeners(ls), getenv(EnvFailureFile), nil
}

// bindAll binds every address, as drover dev does itself: TCP or unix,
// each held with a duplicate descriptor for the programs it starts.
func bindAll(binds []string) ([]*sockets.Held, error) {
	bs, err := sockets.ListenAll(binds, sockets.Options{})
	if err != nil {
		return nil, err
	}
	return sockets.HoldAll(bs, sockets.RoleApp)
}
