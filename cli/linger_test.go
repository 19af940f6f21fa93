package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/drover/drover/internal/config"
)

func TestLingerWarnings(t *testing.T) {
	tests := []struct {
		name     string
		giveName string
		keep     time.Duration
		graceful time.Duration
		class    string
		want     []string // one per warning, a part of it
	}{
		{name: "defaults", keep: 5 * time.Second, graceful: 30 * time.Second, class: "go"},
		{name: "short keep-alive", keep: time.Second, graceful: 30 * time.Second, class: "go", want: []string{"--keep-alive 1s is shorter than 2s: a proxy's idle upstream timeout (nginx's keepalive_timeout) must be shorter still, or its requests race drover closing the connection"}},
		{name: "short keep-alive, named program", giveName: "notes", keep: time.Second, graceful: 30 * time.Second, class: "go", want: []string{"or its requests race notes closing the connection"}},
		{name: "graceful timeout within the linger", keep: 5 * time.Second, graceful: 5 * time.Second, class: "go", want: []string{"--graceful-timeout 5s is not longer than --keep-alive 5s"}},
		{name: "both", keep: time.Second, graceful: time.Second, class: "go", want: []string{"shorter than 2s", "cut short"}},
		{name: "sync keeps no connection alive", keep: 5 * time.Second, graceful: 2 * time.Second, class: "sync"},
		{name: "no keep-alive timeout", keep: 0, graceful: time.Second, class: "go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Worker.KeepAlive, c.Server.GracefulTimeout, c.Worker.Class = tt.keep, tt.graceful, tt.class
			got := Program{Name: tt.giveName}.lingerWarnings(c)
			if len(got) != len(tt.want) {
				t.Fatalf("lingerWarnings = %q, want %d warnings", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d = %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}
