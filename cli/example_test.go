package cli_test

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/drover/drover/cli"
)

// A program serving its own handler under drover: the whole of its main.
func ExampleMain() {
	build := func(log *zap.Logger) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("hi\n"))
		}), nil
	}
	_ = cli.Program{Name: "myapp", Handler: build}
	// func main() { os.Exit(cli.Main(cli.Program{Name: "myapp", Handler: build})) }
}
