package worker_test

import (
	"context"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/worker"
)

// A worker process's life when the supervisor started this process: open
// what was inherited, read who this worker is, serve. cli maps the
// settings in the supervisor's message onto the rest of Options; here
// they are written out.
func Example() {
	ch, listeners, err := worker.Inherited(os.Getenv)
	if err != nil {
		return // not started by a drover supervisor
	}
	msg, err := worker.ReadConfig(ch, 10*time.Second)
	if err != nil {
		return
	}
	w, err := worker.New(worker.Options{
		Slot:       msg.Slot,
		Generation: msg.Generation,
		Channel:    ch,
		Listeners:  listeners,
		Handler:    http.NotFoundHandler(),

		Chain:            app.Config{WorkerPID: os.Getpid()},
		Timeouts:         worker.Timeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Idle: 5 * time.Second},
		MaxConcurrency:   100,
		MaxRequests:      10000,
		HeartbeatTimeout: 30 * time.Second,
		GracefulTimeout:  30 * time.Second,
	}, zap.NewNop())
	if err != nil {
		return
	}
	_ = w.Run(context.Background())
}
