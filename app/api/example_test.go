package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/api"
	"github.com/drover/drover/auth"
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

// A program's own routes behind drover's authentication: a public list,
// a create for any authenticated user, and a delete that a permission of
// the program's own (and the handler's own check, with Deny) restricts.
func ExampleAuth() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "drover-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	store, err := auth.OpenSQLite(ctx, filepath.Join(dir, "drover.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-example-secret-0123")})
	if err != nil {
		fmt.Println(err)
		return
	}
	svc, err := auth.NewService(auth.ServiceConfig{Tokens: tokens, Store: store, Hasher: auth.NewHasher(auth.HasherConfig{})}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := api.NewAuth(api.Config{}, svc, nil)
	if err != nil {
		fmt.Println(err)
		return
	}

	rt := &api.Router{}
	a.Mount(rt, "/api/token/")
	// Anyone reads the notes; writing one takes a user.
	rt.Handle(http.MethodGet, "/notes/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `[{"id":7,"author":"alice"}]`)
	}))
	rt.Handle(http.MethodPost, "/notes/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":8,"author":%q}`, u.Username)
	}))
	rt.Guard("/notes/", a.Require(api.IsAuthenticatedOrReadOnly))
	// Editors may delete notes, and only their own.
	isEditor := api.Permission(func(_ *http.Request, u auth.User) bool { return u.Username != "bob" })
	rt.Handle(http.MethodDelete, "/notes/{id}/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, _ := auth.UserFrom(r.Context()); r.PathValue("id") != "7" || u.Username != "alice" {
			api.Deny(w, r) // the object-level check: alice wrote note 7
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rt.Guard("/notes/{id}/", a.Require(api.IsAuthenticated, isEditor))
	h := app.Chain(app.Config{}, zap.NewNop(), nil, a.Wrap(rt))

	// A client logs in at /api/token/; here the tokens are issued directly.
	bearer := map[string]string{}
	for _, name := range []string{"alice", "bob", "carol"} {
		u, err := store.CreateUser(ctx, name, "!") // "!": Django's unusable password
		if err != nil {
			fmt.Println(err)
			return
		}
		access, _, err := tokens.Issue(auth.Access, u.ID)
		if err != nil {
			fmt.Println(err)
			return
		}
		bearer[name] = "Bearer " + access
	}
	for _, rq := range []struct{ method, target, user string }{
		{"GET", "/notes/", ""},
		{"POST", "/notes/", ""},
		{"POST", "/notes/", "carol"},
		{"DELETE", "/notes/7/", "bob"},
		{"DELETE", "/notes/7/", "carol"},
		{"DELETE", "/notes/7/", "alice"},
	} {
		req := httptest.NewRequest(rq.method, rq.target, nil)
		if rq.user != "" {
			req.Header.Set("Authorization", bearer[rq.user])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rq.method, rq.target, rq.user, rec.Code, rec.Body.String())
	}
	// Output:
	// GET /notes/  200 [{"id":7,"author":"alice"}]
	// POST /notes/  401 {"detail":"Authentication credentials were not provided."}
	// POST /notes/ carol 201 {"id":8,"author":"carol"}
	// DELETE /notes/7/ bob 403 {"detail":"You do not have permission to perform this action."}
	// DELETE /notes/7/ carol 403 {"detail":"You do not have permission to perform this action."}
	// DELETE /notes/7/ alice 204
}
