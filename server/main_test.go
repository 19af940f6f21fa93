package server

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// envPeer makes the test binary a process of this program that only
// waits: TestClaimPIDFile's running supervisor.
const envPeer = "DROVER_TEST_PIDFILE_PEER"

func TestMain(m *testing.M) {
	if os.Getenv(envPeer) != "" {
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
