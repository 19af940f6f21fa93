// Command drover is the drover application server: a pre-fork supervisor
// and its workers serving drover's API, or the development server.
// Run "drover help" for the commands and flags.
package main

import (
	"os"

	"github.com/drover/drover/cli"
)

func main() {
	os.Exit(cli.Main(cli.Program{Name: "drover"}))
}
