package cli

import (
	"encoding/json"
	"fmt"
	"syscall"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/server"
)

// serverOptions maps the settings onto the supervisor's options: the
// program's name, its sockets, pool and clocks, the workers' user, and the
// settings every worker is sent (encoded with the schema of the program's
// table t), with reopen for USR1.
func serverOptions(c config.Config, t config.Table, reopen func() error) (server.Options, error) {
	user, err := workerCredential(c.Server)
	if err != nil {
		return server.Options{}, err
	}
	var owner *server.Owner
	if c.Server.SocketOwner != "" {
		o, err := c.Server.SocketOwnerIDs()
		if err != nil {
			return server.Options{}, err
		}
		owner = &o
	}
	settings, err := json.Marshal(c)
	if err != nil {
		return server.Options{}, fmt.Errorf("encode the workers' settings: %w", err)
	}
	return server.Options{
		Name: t.Program,
		Sockets: server.Sockets{
			Bind:         c.Server.Bind,
			RedirectBind: c.Server.RedirectBind,
			Backlog:      c.Server.Backlog,
			SocketMode:   c.Server.SocketMode,
			SocketOwner:  owner,
		},
		Workers:     c.Server.Workers,
		WorkersMin:  c.Server.WorkersMin,
		WorkersMax:  c.Server.WorkersMax,
		WorkersIdle: c.Server.WorkersIdle,
		// What the adaptive count calls a busy worker: the bound on its
		// requests at once (1 for the sync class), 0 for none.
		WorkerConcurrency: c.Worker.Concurrency(),
		BootTimeout:       c.Server.BootTimeout,
		Timeout:           c.Server.Timeout,
		GracefulTimeout:   c.Server.GracefulTimeout,
		ShutdownDelay:     c.Server.ShutdownDelay,
		MaxRSSHard:        uint64(c.Server.MaxRSSHard),
		PIDFile:           c.Server.PIDFile,
		MetricsBind:       c.Server.MetricsBind,
		User:              user,
		Settings:          server.WorkerSettings{Schema: t.Schema(), JSON: settings},
		TLS:               c.TLS.CertFile != "" || len(c.TLS.AutoDomains) > 0,
		WorkerClass:       c.Worker.Class,
		Reopen:            reopen,
	}, nil
}

// workerCredential resolves --user and --group into who the workers run
// as; nil for the supervisor's own identity.
func workerCredential(s config.Server) (*syscall.Credential, error) {
	cred, err := s.Credential()
	if err != nil || cred == nil {
		return nil, err
	}
	return &syscall.Credential{Uid: cred.UID, Gid: cred.GID, Groups: cred.Groups}, nil
}

// checkPrivileges checks that this process may start workers as --user
// and --group (server.CheckPrivileges), naming the setting that asks.
func checkPrivileges(s config.Server) error {
	user, err := workerCredential(s)
	if err != nil {
		return err
	}
	if err := server.CheckPrivileges(user); err != nil {
		setting := "user"
		if s.User == "" {
			setting = "group"
		}
		return &config.Error{Setting: setting, Err: err}
	}
	return nil
}
