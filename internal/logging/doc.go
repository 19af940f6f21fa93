// Package logging builds a process's zap loggers from the configuration:
// the error log (--log-format auto: console when stderr is a terminal,
// JSON otherwise; color only on a terminal; a "stack" field printed as
// lines in console output) and the optional access log (JSON, or a line
// the chain writes: combined, a template, dev's "GET /x 200 54µs"),
// writing to stderr, stdout or files that Reopen reopens after rotation.
// Line formats are encoded with app.CombinedEncoderConfig: the chain that
// builds the line also owns the encoder that prints it, and this package
// only uses it (app imports nothing from here). Durations are encoded as
// seconds, under keys ending in _s (a test walks the sources for it).
//
// Every drover process (supervisor, each worker, the dev server) calls Open
// once at start and passes the loggers down; nothing here is global. USR1
// makes the supervisor and each worker call Reopen.
package logging
