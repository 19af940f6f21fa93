package config_test

import "testing"

func TestMetricsBind(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantBind string
		wantErr  string
	}{
		{name: "off by default", wantBind: ""},
		{name: "host and port", args: []string{"--metrics-bind", "127.0.0.1:9100"}, wantBind: "127.0.0.1:9100"},
		{name: "unix socket", args: []string{"--metrics-bind", "unix:/run/drover/metrics.sock"}, wantBind: "unix:/run/drover/metrics.sock"},
		{name: "an inherited descriptor", args: []string{"--metrics-bind", "fd://3"}, wantErr: `invalid --metrics-bind: "fd://3" is not HOST:PORT or unix:PATH`},
		{name: "not an address", args: []string{"--metrics-bind", "[::1"}, wantErr: `invalid --metrics-bind: "[::1" is not HOST:PORT or unix:PATH`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolveArgs(t, tt.args...)
			if errorAsWanted(t, err, tt.wantErr) && c.Server.MetricsBind != tt.wantBind {
				t.Errorf("Resolve(%q).Server.MetricsBind = %q, want %q", tt.args, c.Server.MetricsBind, tt.wantBind)
			}
		})
	}
}
