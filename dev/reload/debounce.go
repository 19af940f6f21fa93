package reload

import (
	"slices"
	"time"
)

// Debounce defaults: an editor's save (write, rename, chmod, often of a
// backup file too) lands within a few milliseconds; a formatter on save or
// "save all" within a few tens. A burst of changes becomes one rebuild once
// quiet has passed without another, or maxWait after its first change when
// changes never stop (a generator rewriting files in a loop).
const (
	defaultQuiet   = 200 * time.Millisecond
	defaultMaxWait = 2 * time.Second
)

// debouncer collects changed files into one batch per burst of changes.
// It holds no timer: the caller asks due() when to call take, so the rules
// are tested without a clock.
type debouncer struct {
	quiet, maxWait time.Duration
	first, last    time.Time
	names          []string
}

// add records a change to name at now.
func (d *debouncer) add(name string, now time.Time) {
	if len(d.names) == 0 {
		d.first = now
	}
	d.last = now
	if !slices.Contains(d.names, name) {
		d.names = append(d.names, name)
	}
}

// due returns when the pending batch is complete; ok is false when no
// change is pending.
func (d *debouncer) due() (at time.Time, ok bool) {
	if len(d.names) == 0 {
		return time.Time{}, false
	}
	at = d.last.Add(d.quiet)
	if capAt := d.first.Add(d.maxWait); capAt.Before(at) {
		at = capAt
	}
	return at, true
}

// take returns the pending batch, in the order the files first changed,
// if it is complete at now, and starts a new one.
func (d *debouncer) take(now time.Time) ([]string, bool) {
	at, ok := d.due()
	if !ok || now.Before(at) {
		return nil, false
	}
	names := d.names
	d.names = nil
	return names, true
}
