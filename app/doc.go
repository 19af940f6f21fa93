// Package app is drover's HTTP handler chain.
//
// # Where it runs
//
// The chain runs inside every worker process, as the handler of the worker's
// http.Server on the listeners it inherited from the supervisor, and inside
// the single process of `drover dev`. It never runs in the supervisor.
//
// # Lifecycle
//
// [Chain] is called once when the worker (or dev server) starts and the
// handler it returns lives as long as the http.Server that serves it. The
// handler is safe for concurrent use, keeps no state between requests and
// starts no goroutines: what a request's handlers can reach (its exchange,
// the request's context) is allocated for that request and dropped when it
// ends; the access log reuses its scratch space (the line buffer, the
// fields) through a sync.Pool, emptied before it goes back. Draining is the http.Server's business
// (Server.Shutdown); the chain only reports it on /healthz when
// [Config.Healthy] says so.
//
// # Signals
//
// None. The supervisor and the worker own signal handling; nothing here calls
// signal.Notify, os.Exit or touches process state.
//
// # The chain
//
// [Chain] wraps the user's handler with, outermost first: panic recovery,
// request ID, client IP (trusted proxies), access log, metrics (an
// [Observer] told of every request's route class, status, bytes and
// duration), framing (no keep-alive after a request a front could frame
// differently), request limits and /healthz. Handlers read what the chain
// learnt with [RequestID], [ClientIP] and [Scheme], name their route class
// with [SetRouteClass], and answer errors in Django REST Framework's shape
// with [Error].
//
// The chain links no store and no token service: drover's DRF-compatible
// API (the JWT endpoints, the demo /hello/ and the DRF-shaped router) is
// package github.com/drover/drover/app/api, which builds on this one.
// app/example/chainonly is a program that serves through the chain alone.
package app
