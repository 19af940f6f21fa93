// Command chainonly serves a hello handler through drover's handler chain
// (package app) alone, with net/http and zap: no supervisor, no workers, no
// API package, no store. It shows what embedding the chain costs: its
// binary links neither app/api, auth nor SQLite (app's tests check this
// with go list -deps).
//
//	go run ./app/example/chainonly -addr 127.0.0.1:8080
//	curl -i http://127.0.0.1:8080/hello/
//
// # Where it runs
//
// It is one process: main builds the logger, the chain and one
// http.Server, and serves until a signal.
//
// # Lifecycle
//
// The server starts listening at once; the chain answers /healthz itself,
// refuses requests over its limits and logs one combined access line per
// request to stdout (errors go to stderr as JSON).
//
// # Signals
//
// SIGINT or SIGTERM stops it gracefully: http.Server.Shutdown lets
// in-flight requests finish, for at most shutdownTimeout.
package main
