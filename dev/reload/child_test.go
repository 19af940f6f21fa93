package reload

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestTailKeepsTheEnd(t *testing.T) {
	tests := []struct {
		name       string
		giveMax    int
		giveWrites []string
		want       string
	}{
		{name: "under the limit", giveMax: 10, giveWrites: []string{"abc", "def"}, want: "abcdef"},
		{name: "at the limit", giveMax: 6, giveWrites: []string{"abc", "def"}, want: "abcdef"},
		{name: "over, across writes", giveMax: 4, giveWrites: []string{"abc", "def"}, want: "cdef"},
		{name: "one write larger than the limit", giveMax: 3, giveWrites: []string{"abcdefgh"}, want: "fgh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := &tail{max: tt.giveMax}
			for _, w := range tt.giveWrites {
				if n, err := tl.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := tl.String(); got != tt.want {
				t.Errorf("tail after %q = %q, want %q", tt.giveWrites, got, tt.want)
			}
		})
	}
}

func TestChildStopKillsAProgramIgnoringTERM(t *testing.T) {
	c, err := startChild(childSpec{
		exe:    "/bin/sh",
		args:   []string{"-c", `trap "" TERM; echo ready >&2; while :; do sleep 0.05; done`},
		stdout: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(c.tail.String(), "ready"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the program never started")
		}
	}
	start := time.Now()
	c.stop(300 * time.Millisecond)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("stop took %s, want about the 300ms timeout", took)
	}
	if got := c.status(); got != "signal: killed" {
		t.Errorf("status = %q, want signal: killed", got)
	}
}
