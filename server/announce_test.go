package server

import (
	"net"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/drover/drover/internal/sockets"
)

// TestServingLineOnceEveryWorkerIsReady: the serving line comes when the
// last of the first generation's workers is ready, names every app
// socket's URL, and is not repeated when a worker is replaced.
func TestServingLineOnceEveryWorkerIsReady(t *testing.T) {
	tb := newTestbed(t)
	core, logs := observer.New(zapcore.InfoLevel)
	tb.s.log = zap.New(core)
	url := holdApp(t, tb)

	serving := func() []observer.LoggedEntry {
		return logs.FilterField(zap.Strings("urls", []string{url})).All()
	}
	ready(101)(tb)
	if got := serving(); len(got) != 0 {
		t.Fatalf("serving line after 1 of 2 workers ready: %v", got)
	}
	ready(102)(tb)
	exit(101)(tb)
	ready(103)(tb)
	got := serving()
	if len(got) != 1 {
		t.Fatalf("%d serving lines, want 1: %v", len(got), got)
	}
	want := "drover " + buildVersion() + " serving " + url + " with 2 workers"
	if got[0].Message != want || got[0].ContextMap()["workers"] != int64(2) {
		t.Errorf("serving line = %q %v, want %q with workers 2", got[0].Message, got[0].ContextMap(), want)
	}
}

// holdApp gives tb's supervisor an app socket and returns its URL.
func holdApp(t *testing.T, tb *testbed) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held, err := sockets.Hold("127.0.0.1:0", sockets.RoleApp, ln)
	if err != nil {
		t.Fatal(err)
	}
	tb.s.listeners = []*sockets.Held{held}
	t.Cleanup(func() { sockets.CloseAll(tb.s.listeners) })
	return "http://" + ln.Addr().String()
}

func TestListenerURL(t *testing.T) {
	tests := []struct {
		name    string
		give    net.Addr
		giveTLS bool
		want    string
	}{
		{name: "tcp", give: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}, want: "http://127.0.0.1:8000"},
		{name: "tls", give: &net.TCPAddr{IP: net.IPv6loopback, Port: 443}, giveTLS: true, want: "https://[::1]:443"},
		{name: "unix", give: &net.UnixAddr{Name: "/run/drover.sock", Net: "unix"}, want: "unix:/run/drover.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listenerURL(tt.give, tt.giveTLS); got != tt.want {
				t.Errorf("listenerURL(%v, %v) = %q, want %q", tt.give, tt.giveTLS, got, tt.want)
			}
		})
	}
}

// TestServingLineNamesTheProgram: the serving line starts with
// Options.Name; without one, with the executable's base name.
func TestServingLineNamesTheProgram(t *testing.T) {
	tests := []struct {
		name     string
		giveName string
		giveExe  string
		want     string
	}{
		{name: "the program's name", giveName: "notes", giveExe: "/usr/local/bin/notes-server", want: "notes "},
		{name: "no name: the executable's", giveExe: "/nonexistent/drover", want: "drover "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testbedConfig()
			cfg.Options.Name, cfg.Options.Workers, cfg.Executable = tt.giveName, 1, tt.giveExe
			tb := newTestbedFrom(t, cfg)
			core, logs := observer.New(zapcore.InfoLevel)
			tb.s.log = zap.New(core)
			url := holdApp(t, tb)
			ready(101)(tb)
			got := logs.FilterMessageSnippet(" serving ").All()
			want := tt.want + buildVersion() + " serving " + url + " with 1 worker"
			if len(got) != 1 || got[0].Message != want {
				t.Fatalf("serving lines = %v, want one %q", got, want)
			}
		})
	}
}
