package sockets_test

import (
	"strings"
	"testing"

	"github.com/drover/drover/internal/sockets"
)

func TestParseBind(t *testing.T) {
	longPath := "/" + strings.Repeat("s", 106) // 107 bytes: the most sun_path holds
	tests := []struct {
		name    string
		give    string
		want    sockets.Bind
		wantErr bool
	}{
		{name: "host and port", give: "127.0.0.1:8000", want: sockets.Bind{Network: "tcp", Address: "127.0.0.1:8000"}},
		{name: "name and port", give: "localhost:9000", want: sockets.Bind{Network: "tcp", Address: "localhost:9000"}},
		{name: "ipv6 and port", give: "[::1]:8080", want: sockets.Bind{Network: "tcp", Address: "[::1]:8080"}},
		{name: "bare host gets port 8000", give: "0.0.0.0", want: sockets.Bind{Network: "tcp", Address: "0.0.0.0:8000"}},
		{name: "bare name gets port 8000", give: "localhost", want: sockets.Bind{Network: "tcp", Address: "localhost:8000"}},
		{name: "bare ipv6 gets port 8000", give: "::1", want: sockets.Bind{Network: "tcp", Address: "[::1]:8000"}},
		{name: "bracketed ipv6 gets port 8000", give: "[::1]", want: sockets.Bind{Network: "tcp", Address: "[::1]:8000"}},
		{name: "every interface", give: ":8000", want: sockets.Bind{Network: "tcp", Address: ":8000"}},
		{name: "port 0", give: "127.0.0.1:0", want: sockets.Bind{Network: "tcp", Address: "127.0.0.1:0"}},
		{name: "port 65535", give: "127.0.0.1:65535", want: sockets.Bind{Network: "tcp", Address: "127.0.0.1:65535"}},
		{name: "port is normalized", give: "127.0.0.1:080", want: sockets.Bind{Network: "tcp", Address: "127.0.0.1:80"}},
		{name: "unix path", give: "unix:/run/drover.sock", want: sockets.Bind{Network: "unix", Address: "/run/drover.sock"}},
		{name: "unix relative path", give: "unix:drover.sock", want: sockets.Bind{Network: "unix", Address: "drover.sock"}},
		{name: "unix:// prefix", give: "unix:///run/drover.sock", want: sockets.Bind{Network: "unix", Address: "/run/drover.sock"}},
		{name: "unix path of 107 bytes", give: "unix:" + longPath, want: sockets.Bind{Network: "unix", Address: longPath}},
		{name: "fd 3", give: "fd://3", want: sockets.Bind{Network: "fd", FD: 3}},
		{name: "fd 10", give: "fd://10", want: sockets.Bind{Network: "fd", FD: 10}},
		{name: "empty", give: "", wantErr: true},
		{name: "unix without path", give: "unix:", wantErr: true},
		{name: "unix:// without path", give: "unix://", wantErr: true},
		{name: "unix path with NUL", give: "unix:/run/a\x00b", wantErr: true},
		{name: "unix path of 108 bytes", give: "unix:" + longPath + "s", wantErr: true},
		{name: "fd 2 is stderr", give: "fd://2", wantErr: true},
		{name: "fd 0", give: "fd://0", wantErr: true},
		{name: "fd negative", give: "fd://-4", wantErr: true},
		{name: "fd not a number", give: "fd://three", wantErr: true},
		{name: "fd empty", give: "fd://", wantErr: true},
		{name: "port out of range", give: "127.0.0.1:65536", wantErr: true},
		{name: "port negative", give: "127.0.0.1:-1", wantErr: true},
		{name: "port not a number", give: "127.0.0.1:http", wantErr: true},
		{name: "port empty", give: "127.0.0.1:", wantErr: true},
		{name: "too many colons", give: "1.2.3.4:80:90", wantErr: true},
		{name: "unclosed bracket with port", give: "[::1:80", wantErr: true},
		{name: "unopened bracket", give: "::1]", wantErr: true},
		{name: "unix without colon", give: "unix", wantErr: true},
		{name: "host named unix", give: "[unix]:80", wantErr: true},
		{name: "host with space", give: "local host:80", wantErr: true},
		{name: "host with slash", give: "http://localhost", wantErr: true},
		{name: "garbage", give: "]]", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sockets.ParseBind(tt.give)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseBind(%q) = %#v, %v; want %#v, error %t", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestBindString(t *testing.T) {
	tests := []struct {
		name string
		give sockets.Bind
		want string
	}{
		{name: "tcp", give: sockets.Bind{Network: "tcp", Address: "127.0.0.1:8000"}, want: "127.0.0.1:8000"},
		{name: "tcp ipv6", give: sockets.Bind{Network: "tcp", Address: "[::1]:8000"}, want: "[::1]:8000"},
		{name: "unix", give: sockets.Bind{Network: "unix", Address: "/run/drover.sock"}, want: "unix:/run/drover.sock"},
		{name: "fd", give: sockets.Bind{Network: "fd", FD: 5}, want: "fd://5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.String(); got != tt.want {
				t.Errorf("%#v.String() = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

// FuzzParseBind checks that ParseBind never panics and that what it accepts
// prints, through String, as text it reads back to the same Bind.
func FuzzParseBind(f *testing.F) {
	for _, seed := range []string{
		"127.0.0.1:8000", "[::1]:8080", "::1", "[::1]", "localhost", ":8000",
		"unix:/run/drover.sock", "unix:///run/drover.sock", "fd://3", "fd://2",
		"", "unix:", "1.2.3.4:80:90", "[fe80::1%eth0]:80", "127.0.0.1:65536",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := sockets.ParseBind(s)
		if err != nil {
			return
		}
		again, err := sockets.ParseBind(b.String())
		if err != nil || again != b {
			t.Errorf("ParseBind(%q) = %#v; ParseBind(%q) = %#v, %v; want the same Bind", s, b, b.String(), again, err)
		}
	})
}
