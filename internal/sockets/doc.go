// Package sockets binds drover's listening sockets and hands them to child
// processes: the supervisor to its workers (package server, package
// worker) and the reload watcher to the development server it runs
// (package dev/reload).
//
// It runs in both processes of each pair. The parent binds (Listen,
// ListenAll) and keeps every socket with a duplicate of its descriptor
// (Hold) for its whole life; it starts each child with Env in the
// environment and Files as the child's extra descriptors, at fixed
// positions from a first descriptor both sides agree on
// (proto.FDFirstListener for a worker). The child opens them with Inherit,
// which returns each listener with the name and role the parent gave it:
// a socket is found by its role (the application's, or --http-redirect's
// plain-HTTP socket), never by its position.
//
// Lifecycle: the parent's sockets outlive every child; a child closing its
// listeners leaves the socket, and the connections waiting in its backlog,
// to the next child. Signals do not concern this package.
//
// The environment value (Format, Parse) is a comma-separated list of
// ROLE=NAME entries, one per descriptor in order, the name escaped so that
// it never holds a comma, an equals sign, a space or a control byte:
//
//	app=127.0.0.1:8000,app=unix:/run/drover.sock,redirect=0.0.0.0:80
package sockets
