package dev_test

import (
	"context"
	"net/http"
	"os"

	"go.uber.org/zap"

	"github.com/drover/drover/dev"
	"github.com/drover/drover/internal/config"
)

// The development server on drover's defaults, as drover dev runs it.
func Example() {
	srv, err := dev.New(dev.Config{
		Settings: config.Default(),
		Handler:  http.NotFoundHandler(),
		Banner:   os.Stderr,
	}, zap.NewNop())
	if err != nil {
		return
	}
	_ = srv.Run // srv.Run(ctx) serves until Ctrl-C.
	_ = context.Background()
}
