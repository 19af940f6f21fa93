// Package api is drover's own API, wire-compatible with Django REST
// Framework + djangorestframework-simplejwt: the JWT endpoints ([API], and
// [New] with the refresh cookie and CORS for browser front ends), the
// demo /hello/ ([Routes]) and the DRF-shaped [Router] they are built on,
// and [SecurityHeaders], the headers Django's default middleware adds.
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
// [New], [API] and [Routes] are called once when the process builds its
// application; the handlers they return live as long as the http.Server
// serving them, are safe for concurrent use and start no goroutines. The
// token service (and its store) belongs to the caller, who closes it after
// the server has drained.
//
// # Signals
//
// None: nothing here calls signal.Notify, os.Exit or touches process state.
package api
