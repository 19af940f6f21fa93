package server_test

import (
	"context"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/server"
)

// The supervisor as cli runs it for drover serve: resolved settings, a
// reload function for HUP, and Run until a stop signal.
func Example() {
	cfg := config.Default()
	cfg.Server.Workers = 4
	sup, err := server.New(server.Config{
		Settings: cfg,
		Reload:   func() (config.Config, error) { return config.Resolve(config.Source{}) },
	}, zap.NewNop())
	if err != nil {
		return
	}
	_ = sup.Run // sup.Run(ctx) binds 127.0.0.1:8000 and blocks until TERM.
	_ = context.Background()
}
