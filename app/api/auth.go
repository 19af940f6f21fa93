package api

import (
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
)

// Auth is drover's token authentication for a program's own routes:
// simplejwt's four token views ([Auth.Mount]), its JWTAuthentication with
// DRF's permission classes as a [Router.Guard] ([Auth.Require]), and the
// refresh cookie and CORS of a [Config] for browser front ends
// ([Auth.Wrap]). [New] is drover's own API made of it. An Auth is safe
// for concurrent use and starts no goroutines; its token service belongs
// to the caller.
type Auth struct {
	svc    TokenService
	log    *zap.Logger
	cookie refreshCookie // off when zero; Mount sets its Path
	cors   *cors         // nil without origins
	jwks   *jwks         // nil when svc publishes no keys (HS256)
}

// NewAuth returns the authentication of cfg on svc. Its error names the
// setting of cfg it cannot use, as [New]'s does (the refresh cookie's
// name and lifetime, the CORS origins). log receives the failures that
// are the server's, not the client's; nil logs nothing.
func NewAuth(cfg Config, svc TokenService, log *zap.Logger) (*Auth, error) {
	cfg = cfg.withDefaults()
	cookie, err := newRefreshCookie(cfg.RefreshCookie, cfg.RefreshLifetime)
	if err != nil {
		return nil, err
	}
	crossOrigin, err := newCORS(cfg.CORSAllowedOrigins, cookie.on())
	if err != nil {
		return nil, err
	}
	return newAuth(svc, log, cookie, crossOrigin), nil
}

// newAuth is an Auth of settings already checked.
func newAuth(svc TokenService, log *zap.Logger, cookie refreshCookie, crossOrigin *cors) *Auth {
	if log == nil {
		log = zap.NewNop()
	}
	keys, _ := svc.(KeySet) // *auth.Service is one; a test double may not be
	return &Auth{svc: svc, log: log, cookie: cookie, cors: crossOrigin, jwks: newJWKS(keys)}
}

// Mount registers simplejwt's token views on rt under prefix, as a
// project's urls.py includes them, with their OPTIONS metadata:
//
//	POST prefix            TokenObtainPairView   {username, password} → {"refresh","access"}
//	POST prefix+"refresh/" TokenRefreshView      {refresh}            → {"access","refresh"}
//	POST prefix+"verify/"  TokenVerifyView       {token}              → {}
//	POST prefix+"blacklist/" TokenBlacklistView  {refresh}            → {}
//	GET  prefix+"jwks/"      the JSON Web Key Set (EdDSA, ES256, RS256)
//	GET  /.well-known/jwks.json  the same, once per Router
//
// They authenticate nobody (simplejwt's authentication_classes = ()).
//
// The key set ([KeySet], which svc implements when it is an
// *auth.Service) lists the public keys tokens are verified with, the
// signing key first, each with its kid, for other services (PyJWT's
// PyJWKClient, a gateway) to verify drover's tokens. It is served with
// Cache-Control: public, max-age=300 ([JWKSMaxAge]) and an ETag that
// If-None-Match answers with 304; HEAD works, other methods are 405. For
// HS256, whose key is secret, neither path is mounted: both are 404.
// /.well-known/jwks.json, where other services look first, is mounted by
// the first Mount on a Router whatever its prefix, and kept when the
// Router serves GET there already (a second Mount, or the program's own
// route registered before).
//
// The refresh cookie, when on, has prefix as its Path, so it goes with
// the refresh and blacklist requests alone. prefix is a path, not a
// pattern, that starts and ends with "/" ("/api/token/", "/auth/"):
// Mount panics otherwise, and as [Router.Handle] does when one of the
// paths is taken.
func (a *Auth) Mount(rt *Router, prefix string) {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") || isPattern(prefix) {
		panic("api: Auth.Mount: prefix " + quote(prefix) + ` must be a path that starts and ends with "/"`)
	}
	t := &tokenHandlers{svc: a.svc, log: a.log, cookie: a.cookie.at(prefix)}
	obtain, refresh, verify, blacklist := prefix, prefix+"refresh/", prefix+"verify/", prefix+"blacklist/"
	rt.Handle(http.MethodPost, obtain, tokenRoute(t.obtain))
	rt.Describe(obtain, "Token Obtain Pair", "Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.")
	rt.Accepts(obtain, http.MethodPost, Field{Name: "username", Required: true}, Field{Name: "password", Required: true})
	rt.Handle(http.MethodPost, refresh, tokenRoute(t.refresh))
	rt.Describe(refresh, "Token Refresh", "Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.")
	rt.Accepts(refresh, http.MethodPost, Field{Name: "refresh", Required: true}, Field{Name: "access", ReadOnly: true})
	rt.Handle(http.MethodPost, verify, tokenRoute(t.verify))
	rt.Describe(verify, "Token Verify", "Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.")
	rt.Accepts(verify, http.MethodPost, Field{Name: "token", Required: true})
	rt.Handle(http.MethodPost, blacklist, tokenRoute(t.blacklist))
	rt.Describe(blacklist, "Token Blacklist", "Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.")
	rt.Accepts(blacklist, http.MethodPost, Field{Name: "refresh", Required: true})
	if a.jwks != nil {
		a.jwks.mount(rt, prefix+"jwks/", false)
		a.jwks.mount(rt, WellKnownJWKS, true)
	}
}

// tokenRoute is a token view that tells the chain its requests are of
// the token endpoints' route class (app.RouteAPI), for metrics.
func tokenRoute(view http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.SetRouteClass(r.Context(), app.RouteAPI)
		view(w, r)
	})
}

// Wrap returns h behind the CORS layer of the Auth's [Config]
// (django-cors-headers' CorsMiddleware), which allows credentials when
// the refresh cookie is on; h itself when the Config lists no origins.
// With a *Router, a preflight is answered for the Router's paths with
// each path's methods; with another handler, for every path with
// django-cors-headers' default methods. Wrap the handler that holds
// every route the front end calls, the token views included, once.
func (a *Auth) Wrap(h http.Handler) http.Handler {
	return a.cors.wrap(h)
}
