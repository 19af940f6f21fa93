package sockets

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestListen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		give    string
		opt     Options
		wantNet string
		wantErr string
	}{
		{name: "tcp", give: "127.0.0.1:0", wantNet: "tcp"},
		{name: "tcp with backlog", give: "127.0.0.1:0", opt: Options{Backlog: 16}, wantNet: "tcp"},
		{name: "unix as net.Listen", give: "unix:" + filepath.Join(dir, "plain.sock"), wantNet: "unix"},
		{name: "unix with perm", give: "unix:" + filepath.Join(dir, "perm.sock"), opt: Options{Unix: &Perm{Mode: 0o660, Owner: Owner{UID: -1, GID: -1}}}, wantNet: "unix"},
		{name: "fd refused", give: "fd://3", wantErr: "bind fd://3: fd:// is for drover serve"},
		{name: "fd not inherited", give: "fd://1000", opt: Options{FD: true}, wantErr: "bind fd://1000: "},
		{name: "unparsable", give: "host:port", wantErr: "bind: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs, err := ListenAll([]string{tt.give}, tt.opt)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("ListenAll(%q) = %v, want error starting %q", tt.give, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ListenAll(%q) = %v", tt.give, err)
			}
			defer bs[0].Listener.Close()
			if got := bs[0].Listener.Addr().Network(); got != tt.wantNet {
				t.Errorf("ListenAll(%q) network = %q, want %q", tt.give, got, tt.wantNet)
			}
		})
	}
}

func TestListenAllClosesWhatItOpenedOnFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "first.sock")
	if _, err := ListenAll([]string{"unix:" + path, "fd://3"}, Options{}); err == nil {
		t.Fatal("ListenAll with fd://3 succeeded")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("first socket left behind after a later bind failed: %v", err)
	}
}

func TestListenUnix(t *testing.T) {
	perm := Perm{Mode: 0o660, Owner: Owner{UID: -1, GID: -1}}
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr string
	}{
		{name: "fresh", prepare: func(*testing.T, string) {}},
		{name: "stale socket replaced", prepare: func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false)
			ln.Close()
		}},
		{name: "live socket refused", prepare: func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}, wantErr: "another process"},
		{name: "regular file refused", prepare: func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "not a socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sock")
			tt.prepare(t, path)
			ln, err := ListenUnix(path, perm)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ListenUnix(%s) = %v, want error containing %q", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ListenUnix(%s) = %v", tt.name, err)
			}
			defer ln.Close()
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != 0o660 {
				t.Errorf("ListenUnix(%s) mode = %v, want 0660", tt.name, got)
			}
		})
	}
}

// TestListenUnixOwner checks that a unix socket takes the mode and owner
// it is given (--socket-mode, --socket-owner).
func TestListenUnixOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	path := filepath.Join(t.TempDir(), "owned.sock")
	ln, err := ListenUnix(path, Perm{Mode: 0o600, Owner: Owner{UID: 65534, GID: 65534}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	if info.Mode().Perm() != 0o600 || st.Uid != 65534 || st.Gid != 65534 {
		t.Errorf("socket mode %o owner %d:%d, want 0600 65534:65534", info.Mode().Perm(), st.Uid, st.Gid)
	}
}
