// Package reload is drover dev --reload: rebuild and restart a Go program
// when its source changes, without ever refusing a connection.
//
// Two processes. The watcher (Watcher.Run, in the process the developer
// started) binds the --bind addresses once and holds them for its whole
// life, but never accepts on them while a program runs. The program is the
// same binary (later, a new build of it) re-executed as "dev" with the
// same flags, a child with the sockets from descriptor FDFirstListener on
// and EnvListeners set; it finds them with Inherited and serves them as
// the single-threaded development server. The watcher prints the banner;
// the program does not.
//
// Lifecycle of a change: the file watcher (fsnotify, every directory
// under the module root, new ones as they appear; Filter says which files
// count) reports changes; a debouncer turns a burst of them into one
// batch once 200ms pass quietly; the builder runs go build of the
// program's main package (or --reload-build) into a temporary directory
// while the old program keeps serving. On success the old program is sent
// TERM (it finishes its request) and the new one started on the same
// sockets: connections arriving in between wait in the backlog. On
// failure the old program keeps running and answers every request with a
// 500 page showing the compiler's output (dev.Failure, through the file
// named by EnvFailureFile) until the next good build. A program that exits
// on its own (a panic at start) leaves the watcher serving that page with
// the program's last output, on duplicates of the sockets.
//
// With no module at hand (an installed binary, or no go command) the
// watcher watches the binary itself and restarts the program when it is
// replaced.
//
// Signals: INT (Ctrl-C) and TERM stop the build in progress (its whole
// process group), the program and the page, remove the temporary
// directory and make Run return nil. The program runs with PDEATHSIG, so
// even a watcher killed outright leaves nothing behind.
package reload
