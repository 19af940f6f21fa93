package app

import "net/http"

// Routes returns the demo API:
//
//	GET /hello/ → 200 {"message":"Hello, World!"}
//
// with DRF's 404, 405, OPTIONS and trailing-slash behaviour from [Router].
// Wrap it with [Chain] to serve it.
func Routes() http.Handler {
	rt := &Router{}
	rt.Handle(http.MethodGet, "/hello/", http.HandlerFunc(hello))
	return rt
}

// hello is the demo endpoint.
func hello(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, `{"message":"Hello, World!"}`)
}
