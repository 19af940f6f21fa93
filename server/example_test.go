package server_test

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/server"
)

// The supervisor with its own options: four workers on 127.0.0.1:8000,
// each sent the program's settings, and Run until a stop signal. drover
// serve maps its settings onto Options the same way (cli/serve.go).
func Example() {
	settings, _ := json.Marshal(map[string]string{"greeting": "hello"})
	opts := server.Options{
		Sockets:         server.Sockets{Bind: []string{"127.0.0.1:8000"}, SocketMode: 0o660},
		Workers:         4,
		BootTimeout:     30 * time.Second,
		Timeout:         30 * time.Second,
		GracefulTimeout: 30 * time.Second,
		Settings:        server.WorkerSettings{Schema: "greeting-v1", JSON: settings},
	}
	sup, err := server.New(server.Config{
		Options: opts,
		Reload:  func() (server.Options, error) { return opts, nil },
	}, zap.NewNop())
	if err != nil {
		return
	}
	_ = sup.Run // sup.Run(ctx) binds 127.0.0.1:8000 and blocks until TERM.
	_ = context.Background()
}
