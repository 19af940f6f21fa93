package server

import (
	"bytes"
	"embed"
	"encoding/json"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/control"
)

// statusPageFiles are the status page: its HTML, script and style, served
// from the binary (no CDN, nothing fetched from elsewhere).
//
//go:embed statuspage
var statusPageFiles embed.FS

// statusPageCSP lets the page load only its own script, style and JSON:
// no inline script or style, no frames, no forms, no other origin.
const statusPageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// statusPage is what /status.json answers: the status the control socket
// gives (drover status --json's "status"), and the series.
type statusPage struct {
	Status *control.Status `json:"status"`
	Series series          `json:"series"`
}

// statusPageRoutes adds the status page to mux: / (the HTML), /status.js,
// /status.css and /status.json (statusPage, with status for the
// supervisor's state and m for the series).
func statusPageRoutes(mux *http.ServeMux, m *supervisorMetrics, status func() (*control.Status, error), log *zap.Logger) {
	for _, f := range []struct{ pattern, file, contentType string }{
		{"GET /{$}", "statuspage/index.html", "text/html; charset=utf-8"},
		{"GET /status.js", "statuspage/status.js", "text/javascript; charset=utf-8"},
		{"GET /status.css", "statuspage/status.css", "text/css; charset=utf-8"},
	} {
		body, err := statusPageFiles.ReadFile(f.file)
		if err != nil {
			panic(err) // embedded at build time: cannot be missing
		}
		mux.Handle(f.pattern, staticFile(body, f.contentType))
	}
	mux.Handle("GET /status.json", statusJSON(m, status, log))
}

// staticFile answers body, as contentType, under the page's policy.
func staticFile(body []byte, contentType string) http.Handler {
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Security-Policy", statusPageCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "", started, bytes.NewReader(body))
	})
}

// statusJSON answers statusPage, never cached; 503 when the loop does not
// answer in time (it is busy, or the supervisor is exiting).
func statusJSON(m *supervisorMetrics, status func() (*control.Status, error), log *zap.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		st, err := status()
		if err != nil {
			log.Debug("status page", zap.Error(err))
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		body, err := json.Marshal(statusPage{Status: st, Series: m.statusSeries()})
		if err != nil {
			log.Error("status page", zap.Error(err))
			http.Error(w, "status: cannot encode", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(append(body, '\n'))
	})
}
