package api

import (
	"net/http"

	"github.com/drover/drover/app/internal/drf"
)

// Routes returns the demo API:
//
//	GET /hello/ → 200 {"message":"Hello, World!"}
//
// with DRF's 404, 405, OPTIONS and trailing-slash behaviour from [Router].
// Wrap it with [app.Chain] to serve it.
func Routes() http.Handler {
	rt := &Router{}
	rt.Handle(http.MethodGet, "/hello/", http.HandlerFunc(hello))
	return rt
}

// hello is the demo endpoint.
func hello(w http.ResponseWriter, _ *http.Request) {
	drf.WriteJSON(w, http.StatusOK, `{"message":"Hello, World!"}`)
}
