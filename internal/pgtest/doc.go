// Package pgtest runs throwaway PostgreSQL servers for tests: one
// implementation for the tests of every package that needs a real
// database (auth.PostgresStore, the multi-host end-to-end tests).
//
// It runs in the test binary (or, with [Launch], in the program that
// asks for a cluster). [Start] makes a cluster of its own for one
// test with Debian's binaries (the newest /usr/lib/postgresql/*/bin, else
// initdb and pg_ctl on PATH; a missing PostgreSQL fails the test: run
// make deps): initdb into a new directory under os.TempDir, then pg_ctl
// start. The server listens on a unix socket in that directory only,
// trusts every local connection as the superuser "drover", and trades
// durability for speed (fsync, synchronous_commit and full_page_writes
// off). When the test binary runs as root, as in CI, initdb and the
// server run as the user nobody, since PostgreSQL refuses root.
//
// Lifecycle: a cluster from Start is stopped and its directory removed
// when its test ends, failed or not. [Shared] returns the one cluster of
// the test binary, started on first use and stopped when the binary
// exits; tests sharing it each take a database of their own with
// [Cluster.CreateDatabase]. No TestMain is needed: every cluster has a
// watchdog, a shell process reading a pipe from the test binary, which
// stops the server and removes its directory when the pipe closes,
// however the binary ends (normally, a panic, a timeout, kill -9).
//
// A program that is not a test, the benchmark harness (bench/), starts a
// cluster with [Launch], takes databases with [Cluster.CreateDB] and must
// [Cluster.Close] it (in a defer, so that an error or an interrupt
// closes it too); its watchdog covers the rest, as for a test binary.
//
// Signals: the server is not in the test binary's process group or
// session, so a Ctrl-C reaches it only through the watchdog.
// [Cluster.Stop] and [Cluster.StartAgain] stop (pg_ctl stop -m fast) and
// restart the server on the same data, to simulate an outage; they are
// refused on the shared cluster.
package pgtest
