package control_test

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover/drover/internal/control"
)

// TestDialErrors: a missing socket and a stale one (a file nobody
// answers on) are told apart, each naming the path.
func TestDialErrors(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.ctl")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	tests := []struct {
		name     string
		givePath string
		wantErr  error
	}{
		{name: "missing", givePath: filepath.Join(dir, "none.ctl"), wantErr: control.ErrNoSocket},
		{name: "stale", givePath: stale, wantErr: control.ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := control.Dial(tt.givePath, time.Second)
			var de *control.DialError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &de) || de.Path != tt.givePath || !strings.Contains(err.Error(), tt.givePath) {
				t.Errorf("Dial(%s) = %v, want %v naming the path", tt.givePath, err, tt.wantErr)
			}
		})
	}
}
