package sockets

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []Spec
		wantErr bool
	}{
		{name: "one app", give: "app=127.0.0.1:8000", want: []Spec{{RoleApp, "127.0.0.1:8000"}}},
		{
			name: "apps and redirect",
			give: "app=127.0.0.1:8000,app=unix:/run/x.sock,redirect=0.0.0.0:80",
			want: []Spec{{RoleApp, "127.0.0.1:8000"}, {RoleApp, "unix:/run/x.sock"}, {RoleRedirect, "0.0.0.0:80"}},
		},
		{name: "redirect first", give: "redirect=[::]:80,app=systemd:[::]:443", want: []Spec{{RoleRedirect, "[::]:80"}, {RoleApp, "systemd:[::]:443"}}},
		{name: "escaped name", give: "app=unix:/tmp/a%2Cb%3Dc%25d%20e", want: []Spec{{RoleApp, "unix:/tmp/a,b=c%d e"}}},
		{name: "escaped byte beyond ASCII", give: "app=unix:/tmp/%C3%A9", want: []Spec{{RoleApp, "unix:/tmp/é"}}},
		{name: "empty", give: "", wantErr: true},
		{name: "a count, as before roles", give: "2", wantErr: true},
		{name: "no name", give: "app=", wantErr: true},
		{name: "no role", give: "=127.0.0.1:8000", wantErr: true},
		{name: "unknown role", give: "admin=127.0.0.1:8000", wantErr: true},
		{name: "role in another case", give: "APP=127.0.0.1:8000", wantErr: true},
		{name: "empty entry", give: "app=a,,app=b", wantErr: true},
		{name: "trailing comma", give: "app=a,", wantErr: true},
		{name: "redirect alone", give: "redirect=0.0.0.0:80", wantErr: true},
		{name: "two redirects", give: "app=a,redirect=b,redirect=c", wantErr: true},
		{name: "raw equals in name", give: "app=a=b", wantErr: true},
		{name: "raw space in name", give: "app=a b", wantErr: true},
		{name: "raw control byte", give: "app=a\nb", wantErr: true},
		{name: "raw byte beyond ASCII", give: "app=unix:/tmp/é", wantErr: true},
		{name: "truncated escape", give: "app=a%2", wantErr: true},
		{name: "lone percent", give: "app=a%", wantErr: true},
		{name: "lowercase hex", give: "app=a%2c", wantErr: true},
		{name: "needless escape", give: "app=%41", wantErr: true},
		{name: "bad hex", give: "app=a%G0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.give)
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(%q) error %v does not wrap ErrMalformed", tt.give, err)
			}
		})
	}
}

func TestFormatRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		give []Spec
		want string
	}{
		{name: "plain", give: []Spec{{RoleApp, "127.0.0.1:8000"}, {RoleRedirect, "0.0.0.0:80"}}, want: "app=127.0.0.1:8000,redirect=0.0.0.0:80"},
		{name: "separators escaped", give: []Spec{{RoleApp, "unix:/tmp/a,b=c%d e\x00"}}, want: "app=unix:/tmp/a%2Cb%3Dc%25d%20e%00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Format(tt.give)
			if got != tt.want {
				t.Errorf("Format(%v) = %q, want %q", tt.give, got, tt.want)
			}
			back, err := Parse(got)
			if err != nil || !reflect.DeepEqual(back, tt.give) {
				t.Errorf("Parse(%q) = %v, %v; want %v", got, back, err, tt.give)
			}
		})
	}
}

// FuzzParse: Parse never panics, and whatever it accepts is the one
// spelling Format gives it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"app=127.0.0.1:8000",
		"app=127.0.0.1:8000,app=unix:/run/x.sock,redirect=0.0.0.0:80",
		"app=systemd:[::]:8000",
		"app=unix:/tmp/a%2Cb%3D%25%20",
		"2", "", "app=", "app=a%2", "redirect=a,redirect=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		specs, err := Parse(s)
		if err != nil {
			return
		}
		if got := Format(specs); got != s {
			t.Errorf("Format(Parse(%q)) = %q", s, got)
		}
	})
}
