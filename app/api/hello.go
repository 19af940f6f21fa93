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
	rt.Handle(http.MethodGet, "/hello/", Hello())
	return rt
}

// Hello returns the demo view, for GET: 200 {"message":"Hello, World!"}.
// [Routes] serves it to anyone, [API] and [New] behind
// [IsAuthenticated].
func Hello() http.Handler { return http.HandlerFunc(hello) }

// hello is the demo endpoint.
func hello(w http.ResponseWriter, _ *http.Request) {
	drf.WriteJSON(w, http.StatusOK, `{"message":"Hello, World!"}`)
}
