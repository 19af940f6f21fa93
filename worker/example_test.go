package worker_test

import (
	"context"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/worker"
)

// A worker process's life, as cli runs it when the supervisor started this
// process: open what was inherited, read the configuration, serve.
func Example() {
	ch, listeners, err := worker.Inherited(os.Getenv)
	if err != nil {
		return // not started by a drover supervisor
	}
	msg, err := worker.ReadConfig(ch, 10*time.Second)
	if err != nil {
		return
	}
	w, err := worker.New(worker.Config{
		Settings:   msg.Config,
		Slot:       msg.Slot,
		Generation: msg.Generation,
		Channel:    ch,
		Listeners:  listeners,
		Handler:    http.NotFoundHandler(),
	}, zap.NewNop())
	if err != nil {
		return
	}
	_ = w.Run(context.Background())
}
