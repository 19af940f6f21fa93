package reload

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// envHelperVersionFile makes the test binary, started by a test as the
// program, serve its inherited listeners answering "VERSION PID", VERSION
// read from the file it names at start.
const envHelperVersionFile = "RELOAD_TEST_HELPER_VERSION_FILE"

func TestMain(m *testing.M) {
	if path, ok := os.LookupEnv(envHelperVersionFile); ok {
		os.Exit(helperProgram(path))
	}
	goleak.VerifyTestMain(m)
}

// helperProgram is a stand-in for drover dev run by the watcher: it serves
// the inherited sockets until TERM. "panic" as the version panics at start.
func helperProgram(versionFile string) int {
	data, err := os.ReadFile(versionFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	version := strings.TrimSpace(string(data))
	if version == "panic" {
		panic("helper: deliberate panic at start")
	}
	listeners, _, err := Inherited("helper", os.Getenv)
	if err != nil || len(listeners) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no inherited listeners:", err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "helper: serving", version)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %d", version, os.Getpid())
	})}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		srv.Close()
	}()
	for _, l := range listeners[1:] {
		go srv.Serve(l)
	}
	_ = srv.Serve(listeners[0])
	return 0
}
