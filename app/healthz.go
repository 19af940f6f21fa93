package app

import (
	"net/http"

	"github.com/drover/drover/app/internal/drf"
)

// healthzPath is answered by the chain itself, for any wrapped handler.
const healthzPath = "/healthz"

// healthz answers GET and HEAD /healthz: 200 {"status":"ok"}, or 503
// {"status":"unavailable"} while [Config.Healthy] says otherwise. Other
// methods on /healthz get 405; every other path goes to next.
type healthz struct {
	healthy func() bool
}

func newHealthz(cfg Config) *healthz {
	return &healthz{healthy: cfg.Healthy}
}

func (hz *healthz) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != healthzPath {
			next.ServeHTTP(w, r)
			return
		}
		SetRouteClass(r.Context(), RouteHealth)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
		default:
			w.Header().Set("Allow", "GET, HEAD")
			Error(w, http.StatusMethodNotAllowed, drf.MethodNotAllowed(r.Method))
			return
		}
		if hz.healthy != nil && !hz.healthy() {
			drf.WriteJSON(w, http.StatusServiceUnavailable, `{"status":"unavailable"}`)
			return
		}
		drf.WriteJSON(w, http.StatusOK, `{"status":"ok"}`)
	})
}
