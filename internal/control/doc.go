// Package control is the protocol of the supervisor's control socket, and
// its client: the wire types the supervisor (package server) answers with
// and the command line (drover status, reload, scale, stop, reopen-logs,
// upgrade) asks with.
//
// It runs in two processes: the supervisor, which listens on the socket
// and answers every request from its single owning loop, and whichever
// process dials it (drover status and its siblings). It starts no
// goroutine of its own and is untouched by signals.
//
// # The socket
//
// A unix stream socket, mode 0600, owned by the supervisor's user:
// $RUNTIME_DIRECTORY/<program>.ctl when systemd sets RUNTIME_DIRECTORY
// (its first entry), else <state-dir>/<program>.ctl; --control-socket
// names another path, --control-socket-disable turns it off. A supervisor
// replaces a stale socket file left by a dead one, refuses to start while
// another supervisor answers on it, and removes it when it exits.
//
// # The protocol, version 1
//
// JSON lines: the client writes one request object on one line, the
// supervisor answers with one response object on one line, and so on, on
// one connection, in order. A request line is at most [MaxRequest] bytes.
//
// Requests carry the protocol version and a command, with the command's
// arguments beside them:
//
//	{"v":1,"cmd":"status"}
//	{"v":1,"cmd":"reload"}                 HUP
//	{"v":1,"cmd":"reload","wait":true}     HUP, answered once the new generation is ready
//	{"v":1,"cmd":"scale","workers":4}      the desired worker count, 1 to 1024
//	{"v":1,"cmd":"stop"}                   TERM: graceful stop (answered before it starts)
//	{"v":1,"cmd":"stop","fast":true}       INT: fast stop
//	{"v":1,"cmd":"reopen-logs"}            USR1
//	{"v":1,"cmd":"upgrade"}                USR2: binary upgrade, same PID
//	{"v":1,"cmd":"upgrade","wait":true}    USR2, answered once the new binary's generation is ready or the upgrade abandoned
//
// Responses carry the version and ok; a refusal or failure has ok false
// and the reason in error, in words an operator reads:
//
//	{"v":1,"ok":true,"status":{...}}
//	{"v":1,"ok":true,"generation":3}
//	{"v":1,"ok":false,"error":"reload abandoned; the running workers keep serving: a new worker (slot 1) ended with exit status 3"}
//
// status's object is [Status]; reload answers the generation it started
// (with wait, the one now serving), scale the new count. A request of
// another version, an unknown command or bad arguments gets an error
// response and the connection stays open; a line that is not JSON, or
// longer than MaxRequest, gets an error response and the connection is
// closed. Unknown fields are refused, so a misspelt argument is not
// silently ignored. A new field or command is added within a version when
// old clients and supervisors can ignore it; anything else takes a new
// version.
//
// The supervisor serves at most 16 connections at once (more are answered
// with an error and closed), closes a connection idle for a minute, and
// answers every request within seconds, except reload with wait, which
// waits as long as the reload takes.
package control
