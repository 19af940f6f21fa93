package config

import "testing"

func TestControlSocketPath(t *testing.T) {
	tests := []struct {
		name         string
		giveSocket   string
		giveDisable  bool
		giveRuntime  string
		wantPath     string
		wantExplicit bool
	}{
		{name: "the state directory", wantPath: "/var/lib/notes/notes.ctl"},
		{name: "systemd's runtime directory", giveRuntime: "/run/notes", wantPath: "/run/notes/notes.ctl"},
		{name: "its first entry", giveRuntime: "/run/notes:/run/other", wantPath: "/run/notes/notes.ctl"},
		{name: "the setting wins", giveSocket: "/tmp/n.ctl", giveRuntime: "/run/notes", wantPath: "/tmp/n.ctl", wantExplicit: true},
		{name: "disabled", giveSocket: "/tmp/n.ctl", giveDisable: true, wantPath: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Auth.StateDir = "/var/lib/notes"
			c.Server.ControlSocket, c.Server.ControlSocketDisable = tt.giveSocket, tt.giveDisable
			lookup := func(k string) (string, bool) {
				if k == "RUNTIME_DIRECTORY" && tt.giveRuntime != "" {
					return tt.giveRuntime, true
				}
				return "", false
			}
			path, explicit := c.ControlSocketPath("notes", lookup)
			if path != tt.wantPath || explicit != tt.wantExplicit {
				t.Errorf("ControlSocketPath = %q, %v, want %q, %v", path, explicit, tt.wantPath, tt.wantExplicit)
			}
		})
	}
}
