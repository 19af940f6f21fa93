// Package dev is drover's development server (drover dev): one process,
// no workers, requests handled strictly one at a time, zap's console logs
// (colored on a terminal), every request logged as "GET /x 200 54µs", and
// panics shown to the client as the Failure page (HTML for a browser,
// plain text otherwise) with the stack, the program's frames first. Each
// response is held until its handler returns, so a panic after a status
// still gets the page. It is Django's runserver, and everything drover
// serve is not.
//
// Lifecycle: Run binds the --bind addresses itself, prints a banner saying
// it is for development only, and serves. INT (Ctrl-C) and TERM stop it,
// letting the request in progress finish for a few seconds: it stops
// accepting first and answers every connection it had accepted (Serve).
//
// Under drover dev --reload (package dev/reload) the server runs as the
// child of a watcher: it serves the listeners it was given
// (Config.Listeners) instead of binding, prints no banner, and answers
// every request with the Failure page stored in Config.FailureFile while
// that file exists (a failed rebuild).
package dev
