package logging_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/logging"
)

// A process opens its logs once, passes the loggers down, reopens them on
// USR1 and closes them on the way out.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "drover-logs")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	access := filepath.Join(dir, "access.log")

	logs, err := logging.Open(config.Log{
		ErrorLogfile:    filepath.Join(dir, "error.log"),
		Level:           "info",
		Format:          "json",
		AccessLogfile:   access,
		AccessLogFormat: "combined",
	}, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	logs.Access.Info(`127.0.0.1 - - [02/Jan/2026:15:04:05 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5"`)

	// Rotation: move the file away, then Reopen (USR1).
	_ = os.Rename(access, access+".1")
	if err := logs.Reopen(); err != nil {
		fmt.Println(err)
	}
	logs.Access.Info(`127.0.0.1 - - [02/Jan/2026:15:04:06 +0000] "GET /next HTTP/1.1" 200 5 "-" "curl/8.5"`)
	if err := logs.Close(); err != nil {
		fmt.Println(err)
	}

	rotated, _ := os.ReadFile(access + ".1")
	current, _ := os.ReadFile(access)
	fmt.Print(string(rotated), string(current))
	// Output:
	// 127.0.0.1 - - [02/Jan/2026:15:04:05 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5"
	// 127.0.0.1 - - [02/Jan/2026:15:04:06 +0000] "GET /next HTTP/1.1" 200 5 "-" "curl/8.5"
}

func ExampleParseLevel() {
	for _, name := range []string{"debug", "warning", "critical", "loud"} {
		level, err := logging.ParseLevel(name)
		fmt.Println(name, level, err)
	}
	// Output:
	// debug debug <nil>
	// warning warn <nil>
	// critical dpanic <nil>
	// loud info unknown log level "loud"
}
