package app

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAccessLogTemplate(t *testing.T) {
	tests := []struct {
		name       string
		giveFormat string
		giveTarget string
		giveHeader map[string]string
		giveUser   string
		giveHandle http.HandlerFunc
		wantLine   string
	}{
		{
			name:       "gunicorn default",
			giveFormat: `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`,
			giveTarget: "/hello/?x=1",
			giveHeader: map[string]string{"User-Agent": "curl/8.5.0"},
			giveHandle: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") },
			wantLine:   `198.51.100.7 - - [01/Mar/2025:12:30:45 -0700] "GET /hello/?x=1 HTTP/1.1" 200 2 "-" "curl/8.5.0"`,
		},
		{
			name:       "user and times",
			giveFormat: `%(u)s %(T)s %(M)s %(D)s %(L)s`,
			giveTarget: "/",
			giveUser:   "42",
			giveHandle: func(http.ResponseWriter, *http.Request) {},
			wantLine:   `42 0 1 1500 0.001500`,
		},
		{
			name:       "parts of the request",
			giveFormat: `%(m)s|%(U)s|%(q)s|%(H)s|%(B)s|%(p)s`,
			giveTarget: "/a%20b/?q=1",
			giveHandle: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
			wantLine:   `GET|/a%20b/|q=1|HTTP/1.1|0|<4242>`,
		},
		{
			name:       "headers in and out",
			giveFormat: `%({x-forwarded-for}i)s %({Content-Type}o)s %({x-request-id}o)s %({missing}i)s`,
			giveTarget: "/",
			giveHeader: map[string]string{"X-Request-ID": "req-9"},
			giveHandle: func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Content-Type", "text/plain") },
			wantLine:   `- text/plain req-9 -`,
		},
		{
			name:       "literal percent and escapes",
			giveFormat: `100%% "%(a)s"`,
			giveTarget: "/",
			giveHeader: map[string]string{"User-Agent": "a\"b\x01"},
			giveHandle: func(http.ResponseWriter, *http.Request) {},
			wantLine:   `100% "a\"b\x01"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			access, logs := observed()
			h := accessChain(Config{AccessLogFormat: tt.giveFormat, WorkerPID: 4242}, access, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.giveUser != "" {
					SetUser(r.Context(), tt.giveUser)
				}
				tt.giveHandle(w, r)
			}))
			r := httptest.NewRequest(http.MethodGet, tt.giveTarget, nil)
			r.RemoteAddr = "198.51.100.7:5000"
			for k, v := range tt.giveHeader {
				r.Header.Set(k, v)
			}
			serve(h, r)
			entries := logs.All()
			if len(entries) != 1 {
				t.Fatalf("logged %d lines, want 1", len(entries))
			}
			if got := entries[0].Message; got != tt.wantLine {
				t.Errorf("format %q line =\n%s\nwant\n%s", tt.giveFormat, got, tt.wantLine)
			}
		})
	}
}

func TestCheckAccessLogFormat(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string // substring; "" for none
	}{
		{name: "json", give: "json"},
		{name: "combined", give: "combined"},
		{name: "template", give: `%(h)s "%(r)s" %(s)s %(D)s`},
		{name: "unknown name", give: "apache", wantErr: "want json, combined or a template"},
		{name: "unknown atom", give: `%(h)s %(x)s`, wantErr: "unknown atom %(x)s"},
		{name: "not s", give: `%(s)d`, wantErr: "must be followed by s"},
		{name: "unclosed", give: `%(h`, wantErr: "unclosed"},
		{name: "environment", give: `%({HOME}e)s`, wantErr: "environment variables are not logged"},
		{name: "bad header kind", give: `%({Host}x)s`, wantErr: "want {header}i or {header}o"},
		{name: "lone percent", give: `%(h)s 5% off`, wantErr: "neither"},
		{name: "newline", give: "%(h)s\n%(s)s", wantErr: "control byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAccessLogFormat(tt.give)
			if got := errString(err); (tt.wantErr == "") != (err == nil) || !strings.Contains(got, tt.wantErr) {
				t.Errorf("CheckAccessLogFormat(%q) = %v, want an error containing %q", tt.give, err, tt.wantErr)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzAccessLogTemplate feeds the template parser what a config file may
// hold: it must never panic, every error must wrap ErrAccessLogTemplate,
// and an accepted template must write one line.
func FuzzAccessLogTemplate(f *testing.F) {
	for _, s := range []string{combinedTemplate, `%(h)s`, `%%`, `%(`, `%({`, `%({x}`, `%({x})`, `%({x}o)s`, `%()s`, "a\x00", `%(h)s%(u)s%(t)s`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := parseAccessTemplate(s)
		if err != nil {
			if !errors.Is(err, ErrAccessLogTemplate) {
				t.Fatalf("parseAccessTemplate(%q) = %v, want an ErrAccessLogTemplate", s, err)
			}
			return
		}
		r := httptest.NewRequest(http.MethodGet, "/x%0A", nil)
		r.URL.RawQuery = "q=\n"
		r.Header.Set("User-Agent", "a\nb")
		ex := &exchange{start: time.Unix(0, 0).UTC(), clientText: "192.0.2.1"}
		ex.rw.w = httptest.NewRecorder()
		line := string(tmpl.append(nil, &accessRecord{ex: ex, r: r}))
		if strings.ContainsAny(line, "\n\r") {
			t.Fatalf("template %q wrote %q, more than one line", s, line)
		}
	})
}

func TestAccessLogDev(t *testing.T) {
	access, logs := observed()
	h := accessChain(Config{AccessLogFormat: AccessLogDev}, access, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	serve(h, httptest.NewRequest(http.MethodPost, "/x?a=1", nil))
	entries := logs.All()
	if len(entries) != 1 || entries[0].Message != "POST /x?a=1 201 1.5ms" || len(entries[0].Context) != 0 {
		t.Errorf("dev access log = %v, want one line \"POST /x?a=1 201 1.5ms\" and no fields", entries)
	}
}

func TestRoundDuration(t *testing.T) {
	tests := []struct {
		give time.Duration
		want string
	}{
		{give: 54321 * time.Nanosecond, want: "54.3µs"},
		{give: 999 * time.Nanosecond, want: "999ns"},
		{give: 1234567 * time.Nanosecond, want: "1.23ms"},
		{give: 254 * time.Millisecond, want: "254ms"},
		{give: 2500 * time.Millisecond, want: "2.5s"},
	}
	for _, tt := range tests {
		if got := roundDuration(tt.give).String(); got != tt.want {
			t.Errorf("roundDuration(%v) = %s, want %s", tt.give, got, tt.want)
		}
	}
}
