package reload_test

import (
	"context"

	"go.uber.org/zap"

	"github.com/drover/drover/dev/reload"
)

// The watcher as drover dev --reload runs it: the program re-executed as
// "dev" with its flags, on sockets the watcher holds, rebuilt on every
// change of the module's Go files or its templates.
func Example() {
	w, err := reload.New(reload.Config{
		Name:       "myapp",
		Args:       []string{"dev", "--bind", "127.0.0.1:8000"},
		Bind:       []string{"127.0.0.1:8000"},
		ExtraFiles: []string{"templates/*.html"},
	}, zap.NewNop())
	if err != nil {
		return
	}
	_ = w.Run // w.Run(ctx) serves until Ctrl-C.
	_ = context.Background()
}
