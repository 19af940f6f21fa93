// Package exitcode names every exit status a drover process uses, in one
// place: the README's "Exit statuses" table is this file's. The
// supervisor, the worker, the development server and the command line all
// return these; the numbers follow Gunicorn where Gunicorn has a
// convention.
package exitcode

import "errors"

// Exit statuses of drover processes.
const (
	// OK is a clean exit: a graceful or fast stop that completed.
	OK = 0
	// Config means drover refused to start: a setting, a flag or the
	// command line was rejected, an address could not be bound, or the pid
	// file names a drover already running (or another supervisor answers
	// on the control socket). Nothing was served. The same under serve,
	// dev and check. Also a control command's when it finds no usable
	// control socket (missing, stale, not permitted).
	Config = 1
	// Usage is a command-line usage error (unknown command).
	Usage = 2
	// WorkerBoot is Gunicorn's WORKER_BOOT_ERROR: a worker could not start
	// (it exits with it), or workers kept failing to start (the supervisor
	// halts with it).
	WorkerBoot = 3
	// Runtime is a failure after a successful start, such as a listener
	// that broke, or a control command the supervisor refused (a reload
	// --wait whose reload was abandoned); also the status of an error that
	// carries none.
	Runtime = 4
	// Unavailable is sysexits' EX_TEMPFAIL: a service drover needs, the
	// PostgreSQL database of --database-url, could not be reached (down,
	// restarting, refusing connections, too slow). Nothing is wrong with
	// the command or the settings: it may succeed when run again, as
	// systemd's Restart= will.
	Unavailable = 75
)

// Error carries the exit status a failure should end the process with.
type Error struct {
	// Code is the exit status.
	Code int
	// Err is what went wrong.
	Err error
}

func (e *Error) Error() string { return e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err carrying code, or nil when err is nil. An err that
// already carries a code keeps it: the code given nearest the failure wins,
// so a caller may wrap whatever a callee returns with the status its
// other failures mean (a bind refused inside a Run that otherwise fails
// with Runtime still exits with Config).
func Wrap(code int, err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return &Error{Code: code, Err: err}
}
