package config

import (
	"path/filepath"
	"strings"
)

// ControlSocketPath is the control socket serve creates and drover
// status, reload, scale and stop dial: --control-socket when set
// (explicit), else <program>.ctl in $RUNTIME_DIRECTORY (its first entry)
// when systemd sets it, else in the state directory; "" with
// --control-socket-disable. lookup reads the environment (os.LookupEnv).
func (c *Config) ControlSocketPath(program string, lookup func(string) (string, bool)) (path string, explicit bool) {
	switch {
	case c.Server.ControlSocketDisable:
		return "", false
	case c.Server.ControlSocket != "":
		return c.Server.ControlSocket, true
	}
	dir := c.Auth.StateDir
	if rd, ok := lookup("RUNTIME_DIRECTORY"); ok && rd != "" {
		dir = strings.Split(rd, ":")[0]
	}
	return filepath.Join(dir, program+".ctl"), false
}
