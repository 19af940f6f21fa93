package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drover/drover/internal/exitcode"
)

func TestDevReloadFlags(t *testing.T) {
	tests := []struct {
		name       string
		giveArgs   []string
		wantOut    string
		wantCode   int // 0: no error
		wantErrMsg string
	}{
		{name: "help lists them", giveArgs: []string{"dev", "-h"}, wantOut: "--reload-extra-files"},
		{name: "bad glob", giveArgs: []string{"dev", "--reload", "--reload-extra-files", "[", "--bind", "127.0.0.1:0"},
			wantCode: exitcode.Config, wantErrMsg: `--reload-extra-files "["`},
		{name: "build command without -o", giveArgs: []string{"dev", "--reload", "--reload-build", "make", "--bind", "127.0.0.1:0"},
			wantCode: exitcode.Config, wantErrMsg: "-o PATH"},
		{name: "missing dir", giveArgs: []string{"dev", "--reload", "--reload-dir", "/nonexistent/drover", "--bind", "127.0.0.1:0"},
			wantCode: exitcode.Config, wantErrMsg: "--reload-dir /nonexistent/drover: not a directory"},
		{name: "not for serve", giveArgs: []string{"serve", "--reload"},
			wantCode: exitcode.Config, wantErrMsg: "unknown flag: --reload"},
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
