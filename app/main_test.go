package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/drover/drover/app/internal/drf"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// observed returns a logger that records every entry at debug and above.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

// serve runs r through h and returns the recorded response.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// Routes stands in for the demo API (app/api.Routes, which imports app and
// so cannot be imported by app's own tests): GET /hello/ answers DRF's
// hello body, every other request DRF's 404.
func Routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hello/" {
			Error(w, http.StatusNotFound, "Not found.")
			return
		}
		drf.WriteJSON(w, http.StatusOK, `{"message":"Hello, World!"}`)
	})
}
