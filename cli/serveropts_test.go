package cli

import (
	"reflect"
	"testing"
	"time"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/server"
)

// TestServerOptions checks the mapping of the settings onto the
// supervisor's options, and that a worker gets back, from the options'
// worker settings, exactly the configuration the supervisor resolved.
func TestServerOptions(t *testing.T) {
	c := config.Default()
	c.Server.Bind = []string{"127.0.0.1:9000", "unix:/run/drover/d.sock"}
	c.Server.RedirectBind = "0.0.0.0:80"
	c.Server.Backlog = 64
	c.Server.SocketMode = 0o600
	c.Server.Workers = 3
	c.Server.BootTimeout = 7 * time.Second
	c.Server.Timeout = 11 * time.Second
	c.Server.GracefulTimeout = 13 * time.Second
	c.Server.PIDFile = "/run/drover.pid"
	c.Server.ShutdownDelay = 5 * time.Second
	c.Server.MaxRSSHard = 1 << 30
	c.Worker.Class = "sync"

	reopened := false
	opts, err := serverOptions(c, config.Drover(), func() error { reopened = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := server.Sockets{Bind: c.Server.Bind, RedirectBind: "0.0.0.0:80", Backlog: 64, SocketMode: 0o600}
	if !reflect.DeepEqual(opts.Sockets, want) {
		t.Errorf("Sockets = %+v, want %+v", opts.Sockets, want)
	}
	if opts.Workers != 3 || opts.BootTimeout != 7*time.Second || opts.Timeout != 11*time.Second ||
		opts.GracefulTimeout != 13*time.Second || opts.PIDFile != "/run/drover.pid" || opts.WorkerClass != "sync" || opts.User != nil {
		t.Errorf("options = %+v, want the pool, clocks, pid file and class of the settings, and no user", opts)
	}
	if opts.ShutdownDelay != 5*time.Second || opts.MaxRSSHard != 1<<30 {
		t.Errorf("ShutdownDelay, MaxRSSHard = %s, %d; want 5s, 1G", opts.ShutdownDelay, opts.MaxRSSHard)
	}
	if err := opts.Reopen(); err != nil || !reopened {
		t.Errorf("Reopen() = %v, called %v; want the reopen function", err, reopened)
	}

	var got config.Config
	msg := proto.Config{Schema: opts.Settings.Schema, Settings: opts.Settings.JSON}
	if err := msg.Unpack(config.Schema(), &got); err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("the worker's settings unpack to %+v, %v; want %+v", got, err, c)
	}
}

func TestServerOptionsIdentities(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*config.Server)
		wantUser  bool
		wantOwner *server.Owner
		wantErr   string
	}{
		{name: "neither", change: func(*config.Server) {}},
		{name: "socket owner", change: func(s *config.Server) { s.SocketOwner = "nobody" }, wantOwner: &server.Owner{UID: 65534, GID: -1}},
		{name: "socket group only", change: func(s *config.Server) { s.SocketOwner = ":0" }, wantOwner: &server.Owner{UID: -1, GID: 0}},
		{name: "worker user", change: func(s *config.Server) { s.User = "nobody" }, wantUser: true},
		{name: "unknown user", change: func(s *config.Server) { s.User = "no-such-user-here" }, wantErr: "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.change(&c.Server)
			opts, err := serverOptions(c, config.Drover(), nil)
			if tt.wantErr != "" {
				if ce, ok := err.(*config.Error); !ok || ce.Setting != tt.wantErr {
					t.Errorf("serverOptions = %v, want an error about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(opts.Sockets.SocketOwner, tt.wantOwner) {
				t.Errorf("SocketOwner = %v, want %v", opts.Sockets.SocketOwner, tt.wantOwner)
			}
			if (opts.User != nil) != tt.wantUser {
				t.Fatalf("User = %+v, want one: %v", opts.User, tt.wantUser)
			}
			if tt.wantUser && (opts.User.Uid != 65534 || opts.User.Gid != 65534) {
				t.Errorf("User = %+v, want nobody", opts.User)
			}
		})
	}
}

// A program's options carry its name and the schema of its own table, so
// its serving line names it and its workers unpack its own settings.
func TestServerOptionsOfAProgram(t *testing.T) {
	table := config.Table{Program: "notes", App: []config.AppSetting{{Name: "notes-page-size", Kind: "int", Default: "50"}}}
	opts, err := serverOptions(config.Default(), table, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Name != "notes" || opts.Settings.Schema != table.Schema() || opts.Settings.Schema == config.Schema() {
		t.Errorf("Name, Schema = %q, %q; want notes and the table's %q (not drover's %q)", opts.Name, opts.Settings.Schema, table.Schema(), config.Schema())
	}
}
