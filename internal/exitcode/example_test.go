package exitcode_test

import (
	"errors"
	"fmt"

	"github.com/drover/drover/internal/exitcode"
)

// main turns whatever run returns into the process's exit status.
func ExampleWrap() {
	run := func() error {
		return exitcode.Wrap(exitcode.WorkerBoot, errors.New("worker 1 did not report ready in 30s"))
	}

	code := exitcode.OK
	if err := run(); err != nil {
		code = exitcode.Runtime // for errors that carry no code
		var e *exitcode.Error
		if errors.As(err, &e) {
			code = e.Code
		}
		fmt.Println("error:", err)
	}
	fmt.Println("exit status", code)
	// Output:
	// error: worker 1 did not report ready in 30s
	// exit status 3
}
