// Package cli is drover's command line: it picks a process's role and runs
// it. A supervisor-started process (DROVER_ROLE=worker) runs as a worker;
// otherwise the first argument chooses serve (the default: the supervisor),
// dev (the single-process development server), check (validate and print
// the configuration), the user commands on the store, version or help. The
// commands help lists, with their own flags, are one table (help.go).
//
// It is public so a Go program can serve its own http.Handler under drover
// with a main as short as drover's own:
//
//	func main() { os.Exit(cli.Main(cli.Program{Handler: build})) }
//
// Main is the only place that turns an error into an exit status; nothing
// below it exits the process.
package cli
