// Package graceful serves an http.Server on listeners and stops it
// without dropping a connection it accepted. It runs in every process
// that serves requests: each worker (package worker), the development
// server and the reload watcher's failure page (package dev, dev/reload).
//
// Lifecycle: New wraps the server's hooks, Go serves each listener in a
// goroutine of the caller's errgroup, and Drain stops: it closes the
// listeners (the socket itself lives on in every other process or
// descriptor holding it, with the connections in its backlog), lets every
// connection already accepted bring its request to the handler, then calls
// Shutdown, which waits for the answers; when the deadline comes first,
// Close cuts what is left. Close alone stops at once. Signals are the
// caller's: it decides when to Drain or Close.
//
// Drain cannot be Shutdown alone: net/http's Shutdown closes, unanswered,
// a connection whose request it reads after the shutdown began, even one
// accepted before it. Its client gets EOF on a fresh connection, which it
// cannot safely retry: a request lost at every worker drain and every
// drover dev --reload swap.
package graceful
