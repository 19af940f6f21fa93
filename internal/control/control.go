package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Version is the protocol version every request and response carries.
const Version = 1

// MaxRequest bounds one request line, its newline included: the
// supervisor refuses a longer one and closes the connection.
const MaxRequest = 64 << 10

// MaxResponse bounds one response line, as the client reads it: a status
// of 1024 workers is a few hundred KiB.
const MaxResponse = 8 << 20

// MaxPath is the longest socket path a unix socket can be bound to or
// dialled at (sun_path's 108 bytes, its terminating NUL included).
const MaxPath = 107

// MaxWorkers is the largest count scale accepts, as --workers does.
const MaxWorkers = 1024

// Commands.
const (
	CmdStatus     = "status"
	CmdReload     = "reload"
	CmdScale      = "scale"
	CmdStop       = "stop"
	CmdReopenLogs = "reopen-logs"
	CmdUpgrade    = "upgrade"
)

// Commands lists every command of this version, in the order the
// documentation gives them.
func Commands() []string {
	return []string{CmdStatus, CmdReload, CmdScale, CmdStop, CmdReopenLogs, CmdUpgrade}
}

// Request is one request line.
type Request struct {
	// V is the protocol version, [Version].
	V int `json:"v"`
	// Cmd is the command, one of [Commands].
	Cmd string `json:"cmd"`
	// Wait, for reload and upgrade, asks for the answer only once the new
	// generation is ready, or the reload abandoned.
	Wait bool `json:"wait,omitempty"`
	// Workers, for scale, is the desired worker count.
	Workers int `json:"workers,omitempty"`
	// Fast, for stop, stops at once (INT) rather than gracefully (TERM).
	Fast bool `json:"fast,omitempty"`
}

// Response is one response line.
type Response struct {
	// V is the protocol version, [Version].
	V int `json:"v"`
	// OK says the command was carried out; Error says why not.
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Status is status's answer.
	Status *Status `json:"status,omitempty"`
	// Generation is the generation a reload started or, with wait, the
	// one now serving.
	Generation int `json:"generation,omitempty"`
	// Workers is the worker count after scale.
	Workers int `json:"workers,omitempty"`
}

// Status is the supervisor's state, as status reports it.
type Status struct {
	// PID is the supervisor's process ID.
	PID int `json:"pid"`
	// Name and Version are the program's (version "(devel)" when built
	// from a checkout).
	Name    string `json:"name"`
	Version string `json:"version"`
	// Started is when the supervisor started; UptimeS how long ago, in
	// seconds.
	Started time.Time `json:"started"`
	UptimeS float64   `json:"uptime_s"`
	// Generation is the serving generation.
	Generation int `json:"generation"`
	// Desired is the worker count the supervisor keeps; Ready how many of
	// the serving generation are ready.
	Desired int `json:"desired"`
	Ready   int `json:"ready"`
	// Reload, while a reload runs, is the generation booting beside the
	// serving one.
	Reload *Reload `json:"reload,omitempty"`
	// Stopping says a stop has begun.
	Stopping bool `json:"stopping"`
	// Workers are every worker process alive, by slot, then generation.
	Workers []Worker `json:"workers"`
}

// Reload is a reload in progress.
type Reload struct {
	// Generation is the generation booting.
	Generation int `json:"generation"`
	// Started is when it began.
	Started time.Time `json:"started"`
}

// Worker states.
const (
	StateBooting  = "booting"  // started, not ready yet
	StateReady    = "ready"    // serving its slot
	StateRetiring = "retiring" // serving until its replacement is ready
	StateDraining = "draining" // told to stop; finishing what it has
	StateKilled   = "killed"   // being killed (hung, over max-rss-hard, abandoned)
)

// Worker is one worker process.
type Worker struct {
	Slot       int `json:"slot"`
	PID        int `json:"pid"`
	Generation int `json:"generation"`
	// State is one of the State constants.
	State string `json:"state"`
	// Started is when it was started; AgeS how long ago, in seconds.
	Started time.Time `json:"started"`
	AgeS    float64   `json:"age_s"`
	// Requests, InFlight and RSS (bytes) are from its latest heartbeat.
	Requests uint64 `json:"requests"`
	InFlight int    `json:"in_flight"`
	RSS      uint64 `json:"rss"`
	// Restarts counts the unplanned exits of its slot's workers: crashes,
	// kills and boot failures, not recycling, scaling or reloads.
	Restarts int `json:"restarts"`
	// LastExit is the latest exit of a worker of its slot, if any.
	LastExit *Exit `json:"last_exit,omitempty"`
}

// Exit is how a worker ended.
type Exit struct {
	// Status is the exit as an operator reads it: "exit status 3",
	// "killed by SIGKILL".
	Status string `json:"status"`
	// Reason, when the supervisor had decided its fate, says why:
	// "reloaded", "no heartbeat", "scaled down".
	Reason string `json:"reason,omitempty"`
	// At is when the supervisor saw it.
	At time.Time `json:"at"`
}

// Errors ParseRequest returns. ErrMalformed ends the connection; the
// others are answered and the connection kept.
var (
	ErrMalformed = errors.New("malformed request")
	ErrVersion   = errors.New("unsupported protocol version")
	ErrCommand   = errors.New("unknown command")
	ErrArgument  = errors.New("bad argument")
)

// ParseRequest reads one request line (without or with its newline):
// one JSON object, no unknown field, nothing after it, of this version,
// with a known command and arguments it takes.
func ParseRequest(line []byte) (Request, error) {
	var r Request
	if len(line) > MaxRequest {
		return r, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Request{}, fmt.Errorf("%w: more than one JSON value on the line", ErrMalformed)
	}
	return r, r.Check()
}

// Check reports what makes r a request the supervisor refuses.
func (r Request) Check() error {
	if r.V != Version {
		return fmt.Errorf("%w %d (this supervisor speaks %d)", ErrVersion, r.V, Version)
	}
	if !slices.Contains(Commands(), r.Cmd) {
		return fmt.Errorf("%w %q (commands: status, reload, scale, stop, reopen-logs, upgrade)", ErrCommand, r.Cmd)
	}
	switch {
	case r.Wait && r.Cmd != CmdReload && r.Cmd != CmdUpgrade:
		return fmt.Errorf("%w: wait is for reload and upgrade, not %s", ErrArgument, r.Cmd)
	case r.Fast && r.Cmd != CmdStop:
		return fmt.Errorf("%w: fast is for stop, not %s", ErrArgument, r.Cmd)
	case r.Cmd == CmdScale && (r.Workers < 1 || r.Workers > MaxWorkers):
		return fmt.Errorf("%w: scale takes workers from 1 to %d, got %d", ErrArgument, MaxWorkers, r.Workers)
	case r.Cmd != CmdScale && r.Workers != 0:
		return fmt.Errorf("%w: workers is for scale, not %s", ErrArgument, r.Cmd)
	}
	return nil
}

// Refusal is the response refusing a request for err.
func Refusal(err error) Response {
	return Response{V: Version, Error: err.Error()}
}

// Err is the response's refusal as an error, nil when it is ok.
func (r Response) Err() error {
	if r.OK {
		return nil
	}
	if r.Error == "" {
		return errors.New("the supervisor refused without a reason")
	}
	return errors.New(r.Error)
}

// WriteLine writes v (a Request or Response) as one JSON line in one
// Write.
func WriteLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("control: encode %T: %w", v, err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("control: write: %w", err)
	}
	return nil
}
