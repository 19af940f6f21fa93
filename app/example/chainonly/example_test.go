package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
)

// The handler answers /hello/ and, through the chain, /healthz and DRF's
// errors.
func Example() {
	h := handler(app.Config{}, zap.NewNop(), io.Discard)
	for _, target := range []string{"/hello/", "/healthz", "/nope/"} {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.RemoteAddr = "198.51.100.7:40000"
		r.Header.Set("X-Request-ID", "example-1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(rec.Code, strings.TrimSuffix(rec.Body.String(), "\n"))
	}
	// Output:
	// 200 Hello, 198.51.100.7! (request example-1)
	// 200 {"status":"ok"}
	// 404 {"detail":"Not found."}
}
