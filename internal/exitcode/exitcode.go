// Package exitcode names every exit status a drover process uses, in one
// place. The supervisor, the worker and the command line all return these;
// the numbers follow Gunicorn where Gunicorn has a convention.
package exitcode

// Exit statuses of drover processes.
const (
	// OK is a clean exit: a graceful or fast stop that completed.
	OK = 0
	// Config means the configuration or the command line was rejected
	// before anything started.
	Config = 1
	// Usage is a command-line usage error (unknown command).
	Usage = 2
	// WorkerBoot is Gunicorn's WORKER_BOOT_ERROR: a worker could not start
	// (it exits with it), or workers kept failing to start (the supervisor
	// halts with it).
	WorkerBoot = 3
	// Runtime is a failure after a successful start, such as a listener
	// that broke.
	Runtime = 4
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

// Wrap returns err carrying code, or nil when err is nil.
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}
