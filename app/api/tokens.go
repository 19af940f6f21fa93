package api

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/drover/drover/app/internal/drf"
	"github.com/drover/drover/auth"
)

// TokenService is what the JWT endpoints need; *auth.Service implements it.
type TokenService interface {
	Login(ctx context.Context, username, password string) (auth.Pair, error)
	Refresh(ctx context.Context, refresh string) (auth.Pair, error)
	Verify(ctx context.Context, token string) error
	Blacklist(ctx context.Context, refresh string) error
	Authenticate(ctx context.Context, access string) (auth.User, auth.Claims, error)
}

// API returns drover's reference API, wire-compatible with Django REST
// Framework + simplejwt:
//
//	POST /api/token/            {username, password} → {"refresh","access"}
//	POST /api/token/refresh/    {refresh}            → {"access","refresh"}
//	POST /api/token/verify/     {token}              → {}
//	POST /api/token/blacklist/  {refresh}            → {}
//	GET  /hello/                Bearer access token  → {"message":"Hello, World!"}
//
// OPTIONS on a token endpoint describes its fields under "actions", as
// DRF's metadata does for a view with a serializer. Every request for
// /hello/, OPTIONS and wrong methods included, is authenticated first, as
// DRF authenticates before it dispatches on the method; the token
// endpoints authenticate nobody (simplejwt's authentication_classes = ()).
//
// log receives the failures that are the server's, not the client's.
// API is [New] with the zero [Config]: simplejwt's behaviour exactly.
func API(svc TokenService, log *zap.Logger) *Router {
	return newAPI(svc, refreshCookie{}, log)
}

// newAPI is API with the refresh cookie (off when zero).
func newAPI(svc TokenService, cookie refreshCookie, log *zap.Logger) *Router {
	if log == nil {
		log = zap.NewNop()
	}
	t := &tokenHandlers{svc: svc, log: log, cookie: cookie}
	rt := &Router{}
	rt.Handle(http.MethodPost, "/api/token/", http.HandlerFunc(t.obtain))
	rt.Describe("/api/token/", "Token Obtain Pair", "Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.")
	rt.Accepts("/api/token/", http.MethodPost, Field{Name: "username", Required: true}, Field{Name: "password", Required: true})
	rt.Handle(http.MethodPost, "/api/token/refresh/", http.HandlerFunc(t.refresh))
	rt.Describe("/api/token/refresh/", "Token Refresh", "Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.")
	rt.Accepts("/api/token/refresh/", http.MethodPost, Field{Name: "refresh", Required: true}, Field{Name: "access", ReadOnly: true})
	rt.Handle(http.MethodPost, "/api/token/verify/", http.HandlerFunc(t.verify))
	rt.Describe("/api/token/verify/", "Token Verify", "Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.")
	rt.Accepts("/api/token/verify/", http.MethodPost, Field{Name: "token", Required: true})
	rt.Handle(http.MethodPost, "/api/token/blacklist/", http.HandlerFunc(t.blacklist))
	rt.Describe("/api/token/blacklist/", "Token Blacklist", "Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.")
	rt.Accepts("/api/token/blacklist/", http.MethodPost, Field{Name: "refresh", Required: true})
	rt.Handle(http.MethodGet, "/hello/", http.HandlerFunc(hello))
	rt.Guard("/hello/", t.authenticated)
	return rt
}

type tokenHandlers struct {
	svc    TokenService
	log    *zap.Logger
	cookie refreshCookie
}

// fields parses the body and validates the named fields, answering the
// client itself when they are not usable.
func (t *tokenHandlers) fields(w http.ResponseWriter, r *http.Request, names ...string) (map[string]string, bool) {
	data, berr := parseBody(r)
	if berr == nil {
		var values map[string]string
		if values, berr = charFields(data, names...); berr == nil {
			return values, true
		}
	}
	drf.WriteJSON(w, berr.status, berr.body)
	return nil, false
}

func (t *tokenHandlers) obtain(w http.ResponseWriter, r *http.Request) {
	f, ok := t.fields(w, r, "username", "password")
	if !ok {
		return
	}
	pair, err := t.svc.Login(r.Context(), f["username"], f["password"])
	if err != nil {
		t.authError(w, r, err, scopeToken)
		return
	}
	if t.cookie.give(w, r, pair.Refresh) {
		drf.WriteJSON(w, http.StatusOK, pairJSON("access", pair.Access, "", ""))
		return
	}
	drf.WriteJSON(w, http.StatusOK, pairJSON("refresh", pair.Refresh, "access", pair.Access))
}

func (t *tokenHandlers) refresh(w http.ResponseWriter, r *http.Request) {
	f, ok := t.refreshFields(w, r, false)
	if !ok {
		return
	}
	pair, err := t.svc.Refresh(r.Context(), f["refresh"])
	if err != nil {
		t.authError(w, r, err, scopeToken)
		return
	}
	if t.cookie.give(w, r, pair.Refresh) || pair.Refresh == "" {
		drf.WriteJSON(w, http.StatusOK, pairJSON("access", pair.Access, "", ""))
		return
	}
	drf.WriteJSON(w, http.StatusOK, pairJSON("access", pair.Access, "refresh", pair.Refresh))
}

func (t *tokenHandlers) verify(w http.ResponseWriter, r *http.Request) {
	f, ok := t.fields(w, r, "token")
	if !ok {
		return
	}
	if err := t.svc.Verify(r.Context(), f["token"]); err != nil {
		t.authError(w, r, err, scopeVerify)
		return
	}
	drf.WriteJSON(w, http.StatusOK, `{}`)
}

func (t *tokenHandlers) blacklist(w http.ResponseWriter, r *http.Request) {
	f, ok := t.refreshFields(w, r, true)
	if !ok {
		return
	}
	if err := t.svc.Blacklist(r.Context(), f["refresh"]); err != nil {
		t.authError(w, r, err, scopeToken)
		return
	}
	drf.WriteJSON(w, http.StatusOK, `{}`)
}

// pairJSON renders {"k1":"v1","k2":"v2"} (k2 omitted when empty), keys in
// the order simplejwt writes them.
func pairJSON(k1, v1, k2, v2 string) string {
	b := make([]byte, 0, 16+len(v1)+len(v2))
	b = append(b, '{')
	b = drf.AppendString(b, k1)
	b = append(b, ':')
	b = drf.AppendString(b, v1)
	if k2 != "" {
		b = append(b, ',')
		b = drf.AppendString(b, k2)
		b = append(b, ':')
		b = drf.AppendString(b, v2)
	}
	return string(append(b, '}'))
}
