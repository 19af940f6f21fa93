package sockets

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestHoldPassesNonBlockingDuplicates(t *testing.T) {
	bs, err := ListenAll([]string{"127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "d.sock")}, Options{Backlog: 16})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := HoldAll(bs, RoleApp)
	if err != nil {
		t.Fatal(err)
	}
	defer CloseAll(hs)
	for _, h := range hs {
		// os/exec reads Fd() of every ExtraFile; that must not make the
		// shared socket blocking (children would hang in accept).
		flags, err := unix.FcntlInt(h.File.Fd(), unix.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		if flags&syscall.O_NONBLOCK == 0 {
			t.Errorf("%s: the descriptor passed to children is blocking after Fd()", h.Name)
		}
	}
}

// moveTo duplicates f's descriptor onto fd, as exec does with ExtraFiles.
func moveTo(t *testing.T, f *os.File, fd int) {
	t.Helper()
	if err := unix.Dup2(int(f.Fd()), fd); err != nil {
		t.Fatal(err)
	}
}

func TestInheritFindsSocketsByRole(t *testing.T) {
	bs, err := ListenAll([]string{"127.0.0.1:0", "127.0.0.1:0"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	app, err := Hold("app-sock", RoleApp, bs[0].Listener)
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := Hold("redirect-sock", RoleRedirect, bs[1].Listener)
	if err != nil {
		t.Fatal(err)
	}
	// Redirect first: roles, not positions, say which is which.
	hs := []*Held{redirect, app}
	defer CloseAll(hs)
	const first = 200
	for i, f := range Files(hs) {
		moveTo(t, f, first+i)
	}
	ls, err := Inherit(Env(hs), first)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	inherited := NetListeners(ls)
	tests := []struct {
		name     string
		giveRole Role
		wantAddr net.Addr
		wantName string
	}{
		{name: "app", giveRole: RoleApp, wantAddr: app.Listener.Addr(), wantName: "app-sock"},
		{name: "redirect", giveRole: RoleRedirect, wantAddr: redirect.Listener.Addr(), wantName: "redirect-sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Select(inherited, tt.giveRole)
			if len(got) != 1 || got[0].Addr().String() != tt.wantAddr.String() || got[0].(*Listener).Name() != tt.wantName {
				t.Errorf("Select(%s) = %v, want one listener %s on %s", tt.giveRole, got, tt.wantName, tt.wantAddr)
			}
		})
	}
}

func TestInheritRefusesAMissingDescriptor(t *testing.T) {
	if _, err := Inherit("app=a", 987); err == nil {
		t.Error("Inherit at a closed descriptor succeeded")
	}
	if _, err := Inherit("3", 987); err == nil {
		t.Error("Inherit of a bare count succeeded")
	}
}

func TestRoleOfAnyListenerIsApp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := RoleOf(ln); got != RoleApp {
		t.Errorf("RoleOf(%T) = %s, want %s", ln, got, RoleApp)
	}
}
