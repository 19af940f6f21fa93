// Package api is drover's own API, wire-compatible with Django REST
// Framework + djangorestframework-simplejwt, and what a program needs to
// serve its own API the same way:
//
//   - [Router], DRF-shaped routing: exact paths and patterns with named
//     segments ("/notes/{id}/", read with r.PathValue), JSON 404 and 405,
//     OPTIONS metadata, content negotiation and Django's APPEND_SLASH.
//   - [Auth], simplejwt for a program's routes: [Auth.Mount] puts the four
//     token views under a prefix, and with a public-key algorithm the
//     JWKS (prefix + "jwks/", and /.well-known/jwks.json); [Auth.Require] is a [Router.Guard] that
//     runs simplejwt's JWTAuthentication, then DRF-style permissions
//     ([Permission]: [AllowAny], [IsAuthenticated],
//     [IsAuthenticatedOrReadOnly] or the program's own); [Deny] is DRF's
//     permission_denied for a handler's own check; [Auth.Wrap] adds the
//     CORS of a [Config]. The handlers behind Require read the user with
//     [auth.UserFrom] and the token's claims with [auth.ClaimsFrom].
//   - drover's reference API built of these: [API], and [New] with the
//     refresh cookie and CORS for browser front ends (the token views at
//     /api/token/ and the authenticated /hello/); the demo [Routes]; and
//     [SecurityHeaders], the headers Django's default middleware adds.
//
// A program's routes, as a DRF project's urls.py and views would have
// them:
//
//	a, err := api.NewAuth(cfg, svc, log)
//	rt := &api.Router{}
//	a.Mount(rt, "/api/token/")
//	rt.Handle("GET", "/notes/", list)
//	rt.Handle("POST", "/notes/", create)
//	rt.Guard("/notes/", a.Require(api.IsAuthenticatedOrReadOnly))
//	rt.Handle("GET", "/notes/{id}/", detail)
//	rt.Guard("/notes/{id}/", a.Require(api.IsAuthenticated))
//	handler := app.Chain(appCfg, log, accessLog, a.Wrap(rt))
//
// It is a package of its own so that a program that wants only the handler
// chain (package app) links no token service and no store: app does not
// import api, api imports app (for [app.Error] and [app.RequestID]) and
// auth.
//
// # Where it runs
//
// The handlers run inside every worker process and inside `drover dev`,
// wrapped by [app.Chain]. They never run in the supervisor.
//
// # Lifecycle
//
// [NewAuth], [New], [API] and [Routes] are called, and routes registered,
// once when the process builds its application; the handlers live as long
// as the http.Server serving them, are safe for concurrent use and start
// no goroutines. The token service (and its store) belongs to the caller,
// who closes it after the server has drained.
//
// # Signals
//
// None: nothing here calls signal.Notify, os.Exit or touches process state.
package api
