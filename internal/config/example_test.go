package config_test

import (
	"errors"
	"fmt"

	"github.com/drover/drover/internal/config"
)

// Flags win over DROVER_* variables, which win over the config file and
// the defaults.
func ExampleResolve() {
	env := map[string]string{
		"DROVER_WORKERS": "2",
		"DROVER_TIMEOUT": "60",
	}
	cfg, err := config.Resolve(config.Source{
		Args: []string{"--workers", "4", "--bind", "unix:/run/drover.sock"},
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("workers:", cfg.Server.Workers)      // flag
	fmt.Println("timeout:", cfg.Server.Timeout)      // environment
	fmt.Println("bind:", cfg.Server.Bind)            // flag
	fmt.Println("keep-alive:", cfg.Worker.KeepAlive) // default
	// Output:
	// workers: 4
	// timeout: 1m0s
	// bind: [unix:/run/drover.sock]
	// keep-alive: 5s
}

// Every rejected value names the setting and where it came from.
func ExampleResolve_error() {
	_, err := config.Resolve(config.Source{
		LookupEnv: func(name string) (string, bool) {
			if name == "DROVER_WORKERS" {
				return "0", true
			}
			return "", false
		},
	})
	var ce *config.Error
	fmt.Println(errors.As(err, &ce), ce.Setting)
	fmt.Println(err)
	// Output:
	// true DROVER_WORKERS
	// invalid DROVER_WORKERS: must be at least 1, got 0
}

func ExampleParseDuration() {
	for _, s := range []string{"30", "0.5", "1m30s"} {
		d, _ := config.ParseDuration(s)
		fmt.Println(d)
	}
	// Output:
	// 30s
	// 500ms
	// 1m30s
}
