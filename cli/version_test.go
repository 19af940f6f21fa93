package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	tests := []struct {
		name     string
		giveName string
		giveInfo *debug.BuildInfo
		giveOK   bool
		want     []string
	}{
		{
			name: "drover from a checkout", giveName: "drover", giveOK: true,
			giveInfo: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: droverModule, Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "8aa2b8c0"}, {Key: "vcs.time", Value: "2026-12-02T02:00:00Z"},
					{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"}}},
			want: []string{"drover (devel), module github.com/drover/drover", "revision 8aa2b8c0 (2026-12-02T02:00:00Z), with uncommitted changes", "go1.26.8 linux/arm64"},
		},
		{
			name: "drover installed at a version", giveName: "drover", giveOK: true,
			giveInfo: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: droverModule, Version: "v1.2.0"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}},
			want: []string{"drover v1.2.0, module github.com/drover/drover", "revision unknown", "go1.26.8 linux/amd64"},
		},
		{
			name: "a program built on drover", giveName: "myapp", giveOK: true,
			giveInfo: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/myapp", Version: "v0.3.1"},
				Deps: []*debug.Module{{Path: "go.uber.org/zap", Version: "v1.28.0"}, {Path: droverModule, Version: "v1.2.0"}}},
			want: []string{"myapp v0.3.1, module example.com/myapp", "drover v1.2.0", "go1.26.8 "},
		},
		{name: "no build information", giveName: "drover", want: []string{"drover: no build information"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := version(tt.giveName, tt.giveInfo, tt.giveOK)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("version() = %q, want it to contain %q", got, w)
				}
			}
		})
	}
}
