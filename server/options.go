package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/drover/drover/internal/sockets"
)

// Options are one configuration of the supervisor, in its own terms: what
// it binds, how many workers it keeps and on which clocks, who they run
// as, and the settings it hands each of them. A HUP replaces them with
// those Config.Reload returns, except the sockets, which are kept until a
// restart.
type Options struct {
	// Name is the program's name wherever a person reads it: the serving
	// line ("notes v1.2.0 serving …") and the status systemd shows. ""
	// means the executable's base name. Like Sockets, it is read once, at
	// the start.
	Name string
	// Sockets are what the supervisor binds and passes to the workers.
	Sockets Sockets
	// Workers is the number of worker processes to keep serving.
	Workers int
	// WorkersMin and WorkersMax, when WorkersMax is above WorkersMin,
	// let the supervisor adapt the worker count between them: a worker
	// more after the workers have been busy for a few seconds, one less
	// after they have been quiet for WorkersIdle (see autoscale.go).
	// Zero values are Workers: a fixed count.
	WorkersMin, WorkersMax int
	// WorkersIdle is how long the workers must be quiet before one is
	// removed; zero means defaultWorkersIdle.
	WorkersIdle time.Duration
	// WorkerConcurrency is the bound on the requests one worker runs at
	// once (1 for the sync class, --max-concurrency), 0 for none: what
	// the adaptive count calls busy.
	WorkerConcurrency int
	// BootTimeout is how long a new worker has to report ready.
	BootTimeout time.Duration
	// Timeout is how long a ready worker may go without a heartbeat
	// before it is killed as hung; zero means never (Gunicorn's
	// --timeout 0).
	Timeout time.Duration
	// GracefulTimeout is how long a draining worker has to finish what
	// it serves before it is killed.
	GracefulTimeout time.Duration
	// ShutdownDelay is how long a graceful stop (TERM) waits before the
	// workers drain: they are told at once (proto.Stopping) to answer
	// /healthz 503, and serve as before until their TERM, ShutdownDelay
	// later. It comes before GracefulTimeout, not out of it. Zero drains
	// at once.
	ShutdownDelay time.Duration
	// MaxRSSHard, when positive, is the resident set size in bytes over
	// which a worker's heartbeat gets it killed at once (SIGKILL) and
	// replaced. A worker's own, graceful limit is the worker's option.
	MaxRSSHard uint64
	// PIDFile, when set, is written with the supervisor's PID at start
	// and removed at exit.
	PIDFile string
	// ControlSocket, when set, is the path of the control socket (see
	// package control): created mode 0600 at start, a stale one
	// replaced, removed at exit; "" for none. Like Sockets, it is read
	// once, at the start.
	ControlSocket string
	// MetricsBind, when set, is the admin listener's address
	// (--metrics-bind), in sockets.ParseBind's syntax, "HOST:PORT" or
	// "unix:PATH": the supervisor serves Prometheus' /metrics there,
	// aggregated over every worker it ran. Bound at the start, before
	// any worker; like Sockets, kept until a restart.
	MetricsBind string
	// User is who the workers run as; nil for the supervisor's own
	// identity. Only root may start workers as someone else.
	User *syscall.Credential
	// Settings is what every worker is sent, opaque to the supervisor.
	Settings WorkerSettings
	// TLS says the app sockets serve HTTPS, for the serving line's URLs.
	TLS bool
	// WorkerClass names the workers' kind in the supervisor's start log.
	WorkerClass string
	// Reopen reopens the supervisor's log files on USR1 as these options
	// want them; nil for none.
	Reopen func() error
}

// defaultWorkersIdle is Options.WorkersIdle's default: uWSGI's cheaper
// mode waits about as long before it lets a worker go.
const defaultWorkersIdle = 30 * time.Second

// workerRange is the adaptive worker count's bounds, Workers when off.
func (o Options) workerRange() (lo, hi int) {
	lo, hi = o.WorkersMin, o.WorkersMax
	if lo == 0 {
		lo = o.Workers
	}
	if hi == 0 {
		hi = o.Workers
	}
	return lo, hi
}

// Sockets are the listening sockets of a configuration.
type Sockets struct {
	// Bind lists the addresses to listen on, in sockets.ParseBind's
	// syntax ("HOST:PORT", "unix:PATH", "fd://N"). Sockets that systemd
	// passed (socket activation) are served instead.
	Bind []string
	// RedirectBind, when set, is a TCP address the workers serve plain
	// HTTP on, redirecting to HTTPS; it is bound even under activation.
	RedirectBind string
	// Backlog, when positive, is the listen(2) backlog of every socket
	// the supervisor creates.
	Backlog int
	// SocketMode is the mode of the unix socket files created.
	SocketMode fs.FileMode
	// SocketOwner, when set, is the owner given to the unix socket files
	// created; nil leaves them the supervisor's.
	SocketOwner *Owner
}

// Owner is a unix socket file's owner: a UID and a GID, -1 leaving that
// part unchanged.
type Owner = sockets.Owner

// WorkerSettings is the configuration a worker is sent in its Config
// message: the program's settings, encoded by the program (JSON), and the
// name of their shape, which a worker built with other settings refuses.
type WorkerSettings struct {
	// Schema names the shape of JSON (the settings table's hash).
	Schema string
	// JSON is the encoded settings.
	JSON json.RawMessage
}

// validate reports what makes o unusable, every problem at once.
func (o Options) validate() error {
	var errs []error
	if o.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers must be at least 1, got %d", o.Workers))
	}
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"boot timeout", o.BootTimeout}, {"graceful timeout", o.GracefulTimeout}} {
		if c.d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", c.name, c.d))
		}
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout must not be negative, got %s", o.Timeout))
	}
	if lo, hi := o.workerRange(); lo < 1 || hi < lo || o.Workers < lo || o.Workers > hi {
		errs = append(errs, fmt.Errorf("workers %d must be within the adaptive range %d to %d", o.Workers, lo, hi))
	}
	if o.ShutdownDelay < 0 {
		errs = append(errs, fmt.Errorf("shutdown delay must not be negative, got %s", o.ShutdownDelay))
	}
	if err := checkMetricsBind(o.MetricsBind); err != nil {
		errs = append(errs, err)
	}
	if o.Settings.Schema == "" {
		errs = append(errs, errors.New("worker settings have no schema"))
	}
	if err := CheckPrivileges(o.User); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("server options: %w", err)
	}
	return nil
}

// CheckPrivileges checks that the supervisor may start workers as user:
// only root may give a child another identity. The supervisor itself
// stays the user it was started as, so the workers — the only processes
// that run application code — cannot signal it, read its environment or
// trace it. A nil user is the supervisor's own.
func CheckPrivileges(user *syscall.Credential) error {
	if user == nil {
		return nil
	}
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 || (int(user.Uid) == uid && int(user.Gid) == gid) {
		return nil
	}
	return fmt.Errorf("running workers as %d:%d needs root; this process runs as %d:%d", user.Uid, user.Gid, uid, gid)
}
