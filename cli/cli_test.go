package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drover/drover/internal/exitcode"
)

func TestRunCommands(t *testing.T) {
	tests := []struct {
		name       string
		giveArgs   []string
		wantOut    string
		wantCode   int // 0: no error
		wantErrMsg string
	}{
		{name: "check prints config", giveArgs: []string{"check", "-w", "3"}, wantOut: "workers = 3\n"},
		{name: "serve --print-config", giveArgs: []string{"serve", "--print-config", "--max-requests", "7"}, wantOut: "max_requests = 7\n"},
		{name: "flags only means serve", giveArgs: []string{"--print-config"}, wantOut: "# drover effective configuration"},
		{name: "help", giveArgs: []string{"help"}, wantOut: "--graceful-timeout"},
		{name: "serve -h", giveArgs: []string{"serve", "-h"}, wantOut: "--print-config"},
		{name: "unknown command", giveArgs: []string{"frobnicate"}, wantCode: exitcode.Usage, wantErrMsg: `unknown command "frobnicate"`},
		{name: "bad setting", giveArgs: []string{"check", "--workers", "0"}, wantCode: exitcode.Config, wantErrMsg: "invalid --workers"},
		{name: "stray argument", giveArgs: []string{"serve", "extra"}, wantCode: exitcode.Config, wantErrMsg: `unexpected argument "extra"`},
		{name: "dev -h lists the reload flags", giveArgs: []string{"dev", "-h"}, wantOut: "--reload-extra-files"},
		{name: "dev: bad reload glob", giveArgs: []string{"dev", "--reload", "--reload-extra-files", "[", "--bind", "127.0.0.1:0"},
			wantCode: exitcode.Config, wantErrMsg: `--reload-extra-files "["`},
		{name: "dev: reload build command without -o", giveArgs: []string{"dev", "--reload", "--reload-build", "make", "--bind", "127.0.0.1:0"},
			wantCode: exitcode.Config, wantErrMsg: "-o PATH"},
		{name: "dev: missing reload dir", giveArgs: []string{"dev", "--reload", "--reload-dir", "/nonexistent/drover", "--bind", "127.0.0.1:0"},
			wantCode: exitcode.Config, wantErrMsg: "--reload-dir /nonexistent/drover: not a directory"},
		{name: "reload flags are not serve's", giveArgs: []string{"serve", "--reload"},
			wantCode: exitcode.Config, wantErrMsg: "unknown flag: --reload"},
		{name: "help lists every command's own flags", giveArgs: []string{"help"}, wantOut: "Flags of dev only:\n      --reload[=true|false]"},
		{name: "help lists serve's own flags", giveArgs: []string{"help"}, wantOut: "Flags of serve only:\n      --print-config[=true|false]"},
		{name: "--help alone is drover help", giveArgs: []string{"--help"}, wantOut: "Flags of serve only:"},
		{name: "help COMMAND", giveArgs: []string{"help", "check"}, wantOut: "Usage: drover check [flags]"},
		{name: "help of an unknown command", giveArgs: []string{"help", "frobnicate"}, wantCode: exitcode.Usage, wantErrMsg: `unknown command "frobnicate"`},
		{name: "createuser --help", giveArgs: []string{"createuser", "--help"}, wantOut: "Usage: drover createuser NAME [flags]"},
		{name: "createuser NAME --help lists its flags", giveArgs: []string{"createuser", "alice", "--help"}, wantOut: "--state-dir"},
		{name: "dev -h shows dev's defaults", giveArgs: []string{"dev", "-h"}, wantOut: "(default debug)"},
		{name: "version", giveArgs: []string{"version"}, wantOut: "drover "},
		{name: "--version", giveArgs: []string{"--version"}, wantOut: "\ngo1."},
		{name: "serve --version", giveArgs: []string{"serve", "--version"}, wantOut: "\ngo1."},
		{name: "boolean next word", giveArgs: []string{"check", "--rotate-refresh-tokens", "no"}, wantOut: "rotate_refresh_tokens = false\n"},
		{name: "value forgotten", giveArgs: []string{"serve", "--bind", "--print-config"},
			wantCode: exitcode.Config, wantErrMsg: "--bind needs a value, got the flag --print-config"},
		{name: "check prints sizes with units", giveArgs: []string{"check", "--limit-request-body", "10485760"}, wantOut: `limit_request_body = "10M"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Run(context.Background(), Program{}, tt.giveArgs, &out)
			code := 0
			var ee *exitcode.Error
			if errors.As(err, &ee) {
				code = ee.Code
			}
			if code != tt.wantCode || (err != nil && !strings.Contains(err.Error(), tt.wantErrMsg)) {
				t.Errorf("Run(%q) = %v (code %d), want code %d and %q", tt.giveArgs, err, code, tt.wantCode, tt.wantErrMsg)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("Run(%q) printed %q, want it to contain %q", tt.giveArgs, out.String(), tt.wantOut)
			}
		})
	}
}
