package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/api"
)

// Routes is the demo API; the chain adds /healthz and the DRF-shaped errors.
func ExampleRoutes() {
	h := app.Chain(app.Config{}, zap.NewNop(), nil, api.Routes())
	for _, target := range []string{"/hello/", "/nope/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 {"message":"Hello, World!"}
	// 404 {"detail":"Not found."}
}

// A Router answers unknown paths and methods the way DRF does.
func ExampleRouter() {
	var rt api.Router
	rt.Handle(http.MethodPost, "/api/token/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		app.Error(w, http.StatusUnauthorized, "No active account found with the given credentials")
	}))
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(method, "/api/token/", nil))
		fmt.Println(rec.Code, rec.Header().Get("Allow"), rec.Body.String())
	}
	// Output:
	// 401 POST, OPTIONS {"detail":"No active account found with the given credentials"}
	// 405 POST, OPTIONS {"detail":"Method \"GET\" not allowed."}
}
