package dev_test

import (
	"context"
	"net/http"
	"os"

	"go.uber.org/zap"

	"github.com/drover/drover/dev"
)

// The development server on 127.0.0.1:8000 with the chain's defaults.
func Example() {
	srv, err := dev.New(dev.Options{
		Bind:    []string{"127.0.0.1:8000"},
		Handler: http.NotFoundHandler(),
		Banner:  os.Stderr,
	}, zap.NewNop())
	if err != nil {
		return
	}
	_ = srv.Run // srv.Run(ctx) serves until Ctrl-C.
	_ = context.Background()
}
