package proto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Version is the protocol version written in every frame: the framing and
// the message kinds. A peer reading another version refuses the frame.
// What a Config frame's settings hold is versioned apart, by the settings
// schema the frame carries beside them: a worker binary built with other
// settings than its supervisor's refuses them (Config.Unpack) rather than
// run with zero values for the settings it does not share.
//
// A field added to a message's JSON payload needs no new version when its
// absence means what an older peer does: a reader ignores the fields it
// does not know, and a field it does not get keeps its zero value. So
// Heartbeat.Metrics and Config.Metrics were added to version 1: an older
// supervisor ignores a newer worker's deltas, an older worker is never
// asked for them and sends none.
const Version = 1

// MaxSize bounds one frame (version, kind and payload), so a broken or
// hostile peer cannot make the reader allocate without limit.
const MaxSize = 1 << 20

// Kind identifies a message type on the wire.
type Kind uint8

// Message kinds.
const (
	KindConfig    Kind = 1
	KindReady     Kind = 2
	KindHeartbeat Kind = 3
	KindRetiring  Kind = 4
	KindRefused   Kind = 5
	KindStopping  Kind = 6
)

// Message is one protocol message.
type Message interface {
	// Kind is the message's wire type.
	Kind() Kind
}

// Config is the supervisor's first message to a new worker: the resolved
// settings and who the worker is. The settings are opaque to the
// protocol and to the supervisor: the program encodes them (JSON) and
// names their shape with Schema; the worker reads them with Unpack.
type Config struct {
	// Schema names the shape of Settings (config.Schema of the binary
	// that encoded them).
	Schema string `json:"schema"`
	// Settings is the encoded configuration.
	Settings   json.RawMessage `json:"settings"`
	Slot       int             `json:"slot"`
	Generation int             `json:"generation"`
	// Metrics asks the worker to count its requests and report what it
	// counted in each Heartbeat (Heartbeat.Metrics): the supervisor
	// serves --metrics-bind. Absent (false) from an older supervisor.
	Metrics bool `json:"metrics,omitempty"`
}

// Unpack decodes c.Settings into v if they were encoded with the schema
// want, this binary's; otherwise it returns ErrSchemaMismatch naming both
// schemas, and v is untouched.
func (c Config) Unpack(want string, v any) error {
	if c.Schema != want {
		sent := c.Schema
		if sent == "" {
			sent = "none"
		}
		return fmt.Errorf("%w: the supervisor's is %s, this binary's %s", ErrSchemaMismatch, sent, want)
	}
	if err := json.Unmarshal(c.Settings, v); err != nil {
		return fmt.Errorf("proto: decode settings: %w", err)
	}
	return nil
}

// Ready tells the supervisor the worker is serving on every listener.
type Ready struct {
	PID int `json:"pid"`
}

// Heartbeat is the worker's periodic liveness report with its stats.
type Heartbeat struct {
	// Requests is the number of requests served since the worker started.
	Requests uint64 `json:"requests"`
	// InFlight is the number of requests being handled now.
	InFlight int `json:"in_flight"`
	// RSS is the worker's resident set size in bytes.
	RSS uint64 `json:"rss"`
	// Oldest lists the longest-running requests in flight, oldest first.
	Oldest []Request `json:"oldest,omitempty"`
	// Metrics is what the worker counted since its previous heartbeat,
	// when the supervisor asked for it (Config.Metrics) and anything
	// happened; nil otherwise. A worker also sends one last heartbeat
	// once it has drained, so nothing it served goes uncounted.
	Metrics *MetricsDelta `json:"metrics,omitempty"`
}

// MetricsDelta is what a worker counted since its previous report: every
// count is a difference, never a total, so the supervisor adds it to its
// own totals and they keep growing across worker replacement. Zero counts
// are left out.
type MetricsDelta struct {
	// Requests are the finished requests by route class ("app", "api",
	// "health") and status code (0: no response was sent).
	Requests []RequestCount `json:"requests,omitempty"`
	// Durations are the request durations, one histogram per route class
	// that saw a request, in seconds.
	Durations []Histogram `json:"durations,omitempty"`
	// ResponseBytes is the response body bytes sent.
	ResponseBytes uint64 `json:"response_bytes,omitempty"`
	// LoginsOK and LoginsFailed count the logins that issued tokens and
	// those that did not (refused credentials, or an error).
	LoginsOK     uint64 `json:"logins_ok,omitempty"`
	LoginsFailed uint64 `json:"logins_failed,omitempty"`
	// RefreshRotations counts the refresh tokens rotated.
	RefreshRotations uint64 `json:"refresh_rotations,omitempty"`
	// RefreshReuses counts the rotated refresh tokens presented again
	// past the reuse grace: the security events that revoke a family.
	RefreshReuses uint64 `json:"refresh_reuses,omitempty"`
	// HashWait is how long password hashes waited for a free slot, in
	// seconds; nil when none ran.
	HashWait *Histogram `json:"hash_wait,omitempty"`
}

// RequestCount is a number of requests of one route class and status.
type RequestCount struct {
	Class string `json:"class"`
	Code  int    `json:"code"`
	N     uint64 `json:"n"`
}

// Histogram is a histogram's delta: its counts per bucket, whose upper
// bounds both peers take from package metrics (DurationBuckets,
// HashWaitBuckets), and the sum of what it observed. A reader refuses a
// histogram with another number of buckets than its own.
type Histogram struct {
	// Class is the route class of a request-duration histogram; empty
	// for the others.
	Class string `json:"class,omitempty"`
	// Counts are the observations per bucket, not cumulative: Counts[i]
	// are those above bound i-1 and at most bound i; the last, above
	// every bound.
	Counts []uint64 `json:"counts"`
	// SumNanos is the sum of the observations, in nanoseconds.
	SumNanos uint64 `json:"sum_ns"`
}

// Request describes one request in flight.
type Request struct {
	Method    string        `json:"method"`
	Path      string        `json:"path"`
	RequestID string        `json:"request_id"`
	Age       time.Duration `json:"age"`
}

// Retiring tells the supervisor the worker wants to be replaced; it keeps
// serving until the supervisor sends TERM.
type Retiring struct {
	// Reason names the guard that tripped: "max-requests", "max-rss" or
	// "request-timeout".
	Reason string `json:"reason"`
	// Requests is the number of requests served so far.
	Requests uint64 `json:"requests"`
	// RSS is the worker's resident set size in bytes when it asked.
	RSS uint64 `json:"rss,omitempty"`
}

// Stopping tells a worker the supervisor is stopping gracefully (TERM):
// from now on the worker answers /healthz 503 and serves everything else
// as before, until its own TERM comes, Delay later (--shutdown-delay),
// and it drains. It is the one message the supervisor sends after Config.
// Only a worker of the supervisor's own settings schema is sent it, so
// adding it needs no new protocol version.
type Stopping struct {
	Delay time.Duration `json:"delay"`
}

// Refused tells the supervisor a new worker will not run the Config it
// was sent, and exits with exitcode.WorkerBoot right after: its binary's
// settings schema differs from the supervisor's (ErrSchemaMismatch), as
// after a HUP onto a build that added or changed a setting.
type Refused struct {
	// Reason is the worker's one-line account, naming both schemas.
	Reason string `json:"reason"`
	// Schema is the worker binary's settings schema (config.Schema).
	Schema string `json:"schema"`
}

// Kind implements Message.
func (Config) Kind() Kind { return KindConfig }

// Kind implements Message.
func (Ready) Kind() Kind { return KindReady }

// Kind implements Message.
func (Heartbeat) Kind() Kind { return KindHeartbeat }

// Kind implements Message.
func (Retiring) Kind() Kind { return KindRetiring }

// Kind implements Message.
func (Refused) Kind() Kind { return KindRefused }

// Kind implements Message.
func (Stopping) Kind() Kind { return KindStopping }

// Errors Decode returns for frames it refuses.
var (
	ErrTooLarge = errors.New("proto: frame too large")
	ErrVersion  = errors.New("proto: unsupported version")
	ErrKind     = errors.New("proto: unknown message kind")
	ErrShort    = errors.New("proto: frame too short")
	// ErrSchemaMismatch is a Config whose settings were encoded with
	// another schema than this binary's (Config.Unpack).
	ErrSchemaMismatch = errors.New("proto: the supervisor's settings schema differs from this binary's")
)

const headerSize = 4

// Encode writes m as one frame: a 4-byte big-endian length, then the
// version byte, the kind byte and the JSON payload. The frame goes out in
// a single Write, so several goroutines may Encode to one net.Conn.
func Encode(w io.Writer, m Message) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("proto: encode %T: %w", m, err)
	}
	size := 2 + len(payload)
	if size > MaxSize {
		return ErrTooLarge
	}
	frame := make([]byte, headerSize+size)
	binary.BigEndian.PutUint32(frame, uint32(size))
	frame[headerSize] = Version
	frame[headerSize+1] = byte(m.Kind())
	copy(frame[headerSize+2:], payload)
	if _, err := w.Write(frame); err != nil {
		return fmt.Errorf("proto: write %T: %w", m, err)
	}
	return nil
}

// Decode reads one frame. It returns io.EOF, unwrapped, when the peer
// closed the channel cleanly between frames: the peer is gone.
func Decode(r io.Reader) (Message, error) {
	var header [headerSize]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("proto: truncated header: %w", err)
		}
		return nil, err
	}
	size := binary.BigEndian.Uint32(header[:])
	if size > MaxSize {
		return nil, ErrTooLarge
	}
	if size < 2 {
		return nil, ErrShort
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // a header without its body is no clean close
		}
		return nil, fmt.Errorf("proto: truncated frame: %w", err)
	}
	if body[0] != Version {
		return nil, fmt.Errorf("%w %d", ErrVersion, body[0])
	}
	var m Message
	switch Kind(body[1]) {
	case KindConfig:
		m = &Config{}
	case KindReady:
		m = &Ready{}
	case KindHeartbeat:
		m = &Heartbeat{}
	case KindRetiring:
		m = &Retiring{}
	case KindRefused:
		m = &Refused{}
	case KindStopping:
		m = &Stopping{}
	default:
		return nil, fmt.Errorf("%w %d", ErrKind, body[1])
	}
	if err := json.Unmarshal(body[2:], m); err != nil {
		return nil, fmt.Errorf("proto: decode kind %d: %w", body[1], err)
	}
	return deref(m), nil
}

// deref returns the message by value, as callers switch on value types.
func deref(m Message) Message {
	switch m := m.(type) {
	case *Config:
		return *m
	case *Ready:
		return *m
	case *Heartbeat:
		return *m
	case *Retiring:
		return *m
	case *Refused:
		return *m
	case *Stopping:
		return *m
	}
	return m
}
