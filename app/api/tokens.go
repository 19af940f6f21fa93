package api

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/drover/drover/app/internal/drf"
	"github.com/drover/drover/auth"
)

// TokenService is what the token views and [Auth.Require] need;
// *auth.Service implements it.
type TokenService interface {
	Login(ctx context.Context, username, password string) (auth.Pair, error)
	Refresh(ctx context.Context, refresh string) (auth.Pair, error)
	Verify(ctx context.Context, token string) error
	Blacklist(ctx context.Context, refresh string) error
	Authenticate(ctx context.Context, access string) (auth.User, auth.Claims, error)
}

var _ TokenService = (*auth.Service)(nil)

// API returns drover's reference API, wire-compatible with Django REST
// Framework + simplejwt:
//
//	POST /api/token/            {username, password} → {"refresh","access"}
//	POST /api/token/refresh/    {refresh}            → {"access","refresh"}
//	POST /api/token/verify/     {token}              → {}
//	POST /api/token/blacklist/  {refresh}            → {}
//	GET  /api/token/jwks/       (EdDSA, ES256, RS256) → {"keys":[…]}, also at /.well-known/jwks.json
//	GET  /hello/                Bearer access token  → {"message":"Hello, World!"}
//
// It is a program's routes like any other: [Auth.Mount] at /api/token/,
// and /hello/ behind [Auth.Require]([IsAuthenticated]). OPTIONS on a
// token endpoint describes its fields under "actions", as DRF's metadata
// does for a view with a serializer. Every request for /hello/, OPTIONS
// and wrong methods included, is authenticated first, as DRF
// authenticates before it dispatches on the method; the token endpoints
// authenticate nobody (simplejwt's authentication_classes = ()).
//
// log receives the failures that are the server's, not the client's.
// API is [New] with the zero [Config]: simplejwt's behaviour exactly.
func API(svc TokenService, log *zap.Logger) *Router {
	return newAPI(newAuth(svc, log, refreshCookie{}, nil))
}

// newAPI is drover's API on a: the token views at /api/token/ and the
// authenticated /hello/.
func newAPI(a *Auth) *Router {
	rt := &Router{}
	a.Mount(rt, tokenPrefix)
	rt.Handle(http.MethodGet, "/hello/", Hello())
	rt.Guard("/hello/", a.Require(IsAuthenticated))
	return rt
}

// tokenHandlers are simplejwt's token views, as [Auth.Mount] puts them
// at one prefix (the refresh cookie's Path).
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
