package reload

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// change is one file event at a time since the start.
type change struct {
	at   time.Duration
	name string
}

// batches feeds changes to a debouncer as a clock would (taking every
// batch that is due before the next change) and returns the batches.
func batches(d *debouncer, changes []change) [][]string {
	var t0 time.Time
	var out [][]string
	for _, c := range changes {
		now := t0.Add(c.at)
		if at, ok := d.due(); ok && !at.After(now) {
			names, _ := d.take(at)
			out = append(out, names)
		}
		d.add(c.name, now)
	}
	if at, ok := d.due(); ok {
		if names, ok := d.take(at.Add(-time.Nanosecond)); ok {
			panic(fmt.Sprintf("take before due returned %v", names))
		}
		names, _ := d.take(at)
		out = append(out, names)
	}
	return out
}

// every returns n changes of name, gap apart, from start.
func every(n int, start, gap time.Duration, name string) []change {
	out := make([]change, n)
	for i := range out {
		out[i] = change{at: start + time.Duration(i)*gap, name: name}
	}
	return out
}

func TestDebounce(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name        string
		giveChanges []change
		want        [][]string
	}{
		{
			name:        "one save",
			giveChanges: []change{{0, "main.go"}},
			want:        [][]string{{"main.go"}},
		},
		{
			name:        "editor save: write, rename, chmod within ms",
			giveChanges: []change{{0, "main.go"}, {1 * ms, "main.go"}, {2 * ms, "main.go"}},
			want:        [][]string{{"main.go"}},
		},
		{
			name:        "20 saves 30ms apart",
			giveChanges: every(20, 0, 30*ms, "main.go"),
			want:        [][]string{{"main.go"}},
		},
		{
			name:        "save all: files in first-changed order, once each",
			giveChanges: []change{{0, "b.go"}, {10 * ms, "a.go"}, {20 * ms, "b.go"}, {150 * ms, "c.toml"}},
			want:        [][]string{{"b.go", "a.go", "c.toml"}},
		},
		{
			name:        "two saves a second apart",
			giveChanges: []change{{0, "a.go"}, {time.Second, "b.go"}},
			want:        [][]string{{"a.go"}, {"b.go"}},
		},
		{
			name:        "just under the quiet period joins",
			giveChanges: []change{{0, "a.go"}, {199 * ms, "b.go"}},
			want:        [][]string{{"a.go", "b.go"}},
		},
		{
			name:        "the quiet period splits",
			giveChanges: []change{{0, "a.go"}, {200 * ms, "b.go"}},
			want:        [][]string{{"a.go"}, {"b.go"}},
		},
		{
			name:        "changes that never stop still rebuild every maxWait",
			giveChanges: every(50, 0, 100*ms, "gen.go"), // 4.9s of changes
			want:        [][]string{{"gen.go"}, {"gen.go"}, {"gen.go"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &debouncer{quiet: 200 * ms, maxWait: 2 * time.Second}
			if got := batches(d, tt.giveChanges); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("batches = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDebounceNothingPending(t *testing.T) {
	d := &debouncer{quiet: 200 * time.Millisecond, maxWait: 2 * time.Second}
	if _, ok := d.due(); ok {
		t.Error("due() reported a batch with no change")
	}
	if names, ok := d.take(time.Now()); ok {
		t.Errorf("take() = %q with no change", names)
	}
}
