// Package logging builds a process's zap loggers from the configuration:
// the error log (JSON by default, colored console in dev mode) and the
// optional access log (JSON, or Apache combined), writing to stderr, stdout
// or files that Reopen reopens after rotation. The combined access log is
// encoded with app.CombinedEncoderConfig: the chain that builds the Apache
// line also owns the encoder that prints it, and this package only uses it
// (app imports nothing from here).
//
// Every drover process (supervisor, each worker, the dev server) calls Open
// once at start and passes the loggers down; nothing here is global. USR1
// makes the supervisor and each worker call Reopen.
package logging
