// Package stacktrace rewrites Go goroutine dumps for a person to read: the
// development server's panic page (dev) and the console error log
// (internal/logging) print stacks through it, the served program's own
// frames first. It runs in whichever process prints the stack, keeps no
// state and starts nothing; signals do not concern it.
package stacktrace
