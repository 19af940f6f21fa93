package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/drover/drover/app/api"
)

// New answers a front end on another origin: here the browser's preflight
// before it posts credentials to /api/token/ (a preflight never reaches the
// token service).
func ExampleNew() {
	h, err := api.New(api.Config{
		RefreshCookie:      "drover_refresh",
		CORSAllowedOrigins: []string{"https://app.example.com"},
	}, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest(http.MethodOptions, "/api/token/", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type, "+api.CSRFHeader)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Max-Age", "Vary"} {
		fmt.Printf("%s: %s\n", k, rec.Header().Get(k))
	}
	// Output:
	// 200
	// Access-Control-Allow-Origin: https://app.example.com
	// Access-Control-Allow-Credentials: true
	// Access-Control-Allow-Methods: POST, OPTIONS
	// Access-Control-Max-Age: 86400
	// Vary: Origin
}

// ParseOrigin writes an allowed origin as a browser sends it.
func ExampleParseOrigin() {
	for _, s := range []string{"HTTPS://App.Example.com:443", "http://localhost:5173", "https://app.example.com/"} {
		origin, err := api.ParseOrigin(s)
		if err != nil {
			fmt.Println("refused:", err)
			continue
		}
		fmt.Println(origin)
	}
	// Output:
	// https://app.example.com
	// http://localhost:5173
	// refused: "https://app.example.com/" is not an origin (scheme://host[:port]): it has a path
}
