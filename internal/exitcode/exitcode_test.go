package exitcode_test

import (
	"errors"
	"fmt"
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
