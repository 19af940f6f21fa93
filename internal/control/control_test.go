package control_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drover/drover/internal/control"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name     string
		giveLine string
		wantReq  control.Request
		wantErr  error
	}{
		{name: "status", giveLine: `{"v":1,"cmd":"status"}`, wantReq: control.Request{V: 1, Cmd: "status"}},
		{name: "with its newline", giveLine: "{\"v\":1,\"cmd\":\"status\"}\n", wantReq: control.Request{V: 1, Cmd: "status"}},
		{name: "reload wait", giveLine: `{"v":1,"cmd":"reload","wait":true}`, wantReq: control.Request{V: 1, Cmd: "reload", Wait: true}},
		{name: "upgrade wait", giveLine: `{"v":1,"cmd":"upgrade","wait":true}`, wantReq: control.Request{V: 1, Cmd: "upgrade", Wait: true}},
		{name: "scale", giveLine: `{"v":1,"cmd":"scale","workers":5}`, wantReq: control.Request{V: 1, Cmd: "scale", Workers: 5}},
		{name: "scale at the maximum", giveLine: `{"v":1,"cmd":"scale","workers":1024}`, wantReq: control.Request{V: 1, Cmd: "scale", Workers: 1024}},
		{name: "stop fast", giveLine: `{"v":1,"cmd":"stop","fast":true}`, wantReq: control.Request{V: 1, Cmd: "stop", Fast: true}},
		{name: "reopen-logs", giveLine: `{"cmd":"reopen-logs","v":1}`, wantReq: control.Request{V: 1, Cmd: "reopen-logs"}},
		{name: "version 2", giveLine: `{"v":2,"cmd":"status"}`, wantErr: control.ErrVersion},
		{name: "no version", giveLine: `{"cmd":"status"}`, wantErr: control.ErrVersion},
		{name: "unknown command", giveLine: `{"v":1,"cmd":"restart"}`, wantErr: control.ErrCommand},
		{name: "no command", giveLine: `{"v":1}`, wantErr: control.ErrCommand},
		{name: "scale 0", giveLine: `{"v":1,"cmd":"scale","workers":0}`, wantErr: control.ErrArgument},
		{name: "scale 1025", giveLine: `{"v":1,"cmd":"scale","workers":1025}`, wantErr: control.ErrArgument},
		{name: "scale negative", giveLine: `{"v":1,"cmd":"scale","workers":-1}`, wantErr: control.ErrArgument},
		{name: "workers on status", giveLine: `{"v":1,"cmd":"status","workers":3}`, wantErr: control.ErrArgument},
		{name: "fast on reload", giveLine: `{"v":1,"cmd":"reload","fast":true}`, wantErr: control.ErrArgument},
		{name: "wait on stop", giveLine: `{"v":1,"cmd":"stop","wait":true}`, wantErr: control.ErrArgument},
		{name: "unknown field", giveLine: `{"v":1,"cmd":"status","verbose":true}`, wantErr: control.ErrMalformed},
		{name: "wrong type", giveLine: `{"v":"1","cmd":"status"}`, wantErr: control.ErrMalformed},
		{name: "truncated", giveLine: `{"v":1,"cmd":"sta`, wantErr: control.ErrMalformed},
		{name: "two objects", giveLine: `{"v":1,"cmd":"status"}{"v":1,"cmd":"stop"}`, wantErr: control.ErrMalformed},
		{name: "array", giveLine: `[1]`, wantErr: control.ErrMalformed},
		{name: "empty", giveLine: ``, wantErr: control.ErrMalformed},
		{name: "oversize", giveLine: `{"v":1,"cmd":"status","x":"` + strings.Repeat("a", control.MaxRequest) + `"}`, wantErr: control.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := control.ParseRequest([]byte(tt.giveLine))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && got != tt.wantReq) {
				t.Errorf("ParseRequest(%.60q) = %+v, %v, want %+v, %v", tt.giveLine, got, err, tt.wantReq, tt.wantErr)
			}
		})
	}
}

func TestResponseErr(t *testing.T) {
	if err := (control.Response{V: 1, OK: true}).Err(); err != nil {
		t.Errorf("ok response Err = %v", err)
	}
	if err := (control.Response{V: 1, Error: "reload abandoned"}).Err(); err == nil || err.Error() != "reload abandoned" {
		t.Errorf("refusal Err = %v, want reload abandoned", err)
	}
}
