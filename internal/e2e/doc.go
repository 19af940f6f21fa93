// Package e2e holds drover's real-process integration tests: they build
// cmd/drover and internal/testapp once, start the real binaries, send real
// signals, kill real workers and load them with real HTTP traffic on
// loopback. It has no non-test code.
package e2e
