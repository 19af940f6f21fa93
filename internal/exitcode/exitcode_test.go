package exitcode_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drover/drover/internal/exitcode"
)

func TestWrapNil(t *testing.T) {
	if err := exitcode.Wrap(exitcode.Runtime, nil); err != nil {
		t.Errorf("Wrap(Runtime, nil) = %#v, want nil", err)
	}
}

func TestWrap(t *testing.T) {
	cause := errors.New("listen tcp :80: bind: permission denied")
	tests := []struct {
		name     string
		giveCode int
		giveErr  error
		wantCode int
		wantMsg  string
	}{
		{name: "config", giveCode: exitcode.Config, giveErr: cause, wantCode: exitcode.Config, wantMsg: cause.Error()},
		{name: "worker boot", giveCode: exitcode.WorkerBoot, giveErr: cause, wantCode: exitcode.WorkerBoot, wantMsg: cause.Error()},
		{
			name:     "wrapped again",
			giveCode: exitcode.Runtime,
			giveErr:  fmt.Errorf("serve: %w", cause),
			wantCode: exitcode.Runtime,
			wantMsg:  "serve: " + cause.Error(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Callers see the error through more context, as main does.
			err := fmt.Errorf("drover: %w", exitcode.Wrap(tt.giveCode, tt.giveErr))

			var e *exitcode.Error
			errors.As(err, &e)
			if e == nil || e.Code != tt.wantCode || e.Error() != tt.wantMsg || !errors.Is(err, cause) {
				t.Errorf("Wrap(%d, %v) = %v; want an *exitcode.Error with code %d and message %q that unwraps to the cause",
					tt.giveCode, tt.giveErr, e, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

// TestWrapKeepsTheInnerCode: a Run that wraps what its callee returns
// with its default status keeps the callee's (dev's Run returns Config for
// an address it cannot bind, and cli wraps Run's errors with Runtime).
func TestWrapKeepsTheInnerCode(t *testing.T) {
	cause := errors.New("bind 127.0.0.1:8000: address already in use")
	tests := []struct {
		name     string
		giveErr  error
		wantCode int
	}{
		{name: "no code yet", giveErr: cause, wantCode: exitcode.Runtime},
		{name: "a code", giveErr: exitcode.Wrap(exitcode.Config, cause), wantCode: exitcode.Config},
		{name: "a code under context", giveErr: fmt.Errorf("dev: %w", exitcode.Wrap(exitcode.Config, cause)), wantCode: exitcode.Config},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *exitcode.Error
			if !errors.As(exitcode.Wrap(exitcode.Runtime, tt.giveErr), &e) || e.Code != tt.wantCode {
				t.Errorf("Wrap(Runtime, %v) = %v, want code %d", tt.giveErr, e, tt.wantCode)
			}
		})
	}
}

// TestREADMETable: the README's "Exit statuses" table lists exactly the
// statuses this package names, once each.
func TestREADMETable(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Exit statuses\n")
	if !ok {
		t.Fatal(`README.md has no "## Exit statuses" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var got []int
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(cells[1])); err == nil {
			got = append(got, n)
		}
	}
	want := []int{exitcode.OK, exitcode.Config, exitcode.Usage, exitcode.WorkerBoot, exitcode.Runtime, exitcode.Unavailable}
	if !slices.Equal(got, want) {
		t.Errorf("README's exit statuses = %v, want %v (internal/exitcode)", got, want)
	}
}

func TestUnwrap(t *testing.T) {
	cause := errors.New("boom")
	err := exitcode.Wrap(exitcode.Runtime, cause)
	if got := errors.Unwrap(err); got != cause {
		t.Errorf("errors.Unwrap(Wrap(Runtime, boom)) = %v, want boom", got)
	}
}

// TestCodes guards the exit statuses scripts and systemd units
// rely on.
func TestCodes(t *testing.T) {
	tests := []struct {
		name string
		give int
		want int
	}{
		{name: "OK", give: exitcode.OK, want: 0},
		{name: "Config", give: exitcode.Config, want: 1},
		{name: "Usage", give: exitcode.Usage, want: 2},
		{name: "WorkerBoot", give: exitcode.WorkerBoot, want: 3},
		{name: "Runtime", give: exitcode.Runtime, want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.give != tt.want {
				t.Errorf("exitcode.%s = %d, want %d", tt.name, tt.give, tt.want)
			}
		})
	}
}
