//go:build race

package app

// raceEnabled is whether the tests run under the race detector, which
// makes sync.Pool drop items at random: allocation counts are not
// deterministic then.
const raceEnabled = true
