package logging

import (
	"os"

	"github.com/drover/drover/internal/config"
)

// OpenOnTerminal is Open as if stderr and stdout were terminals (tty) or
// not, whatever they are.
func OpenOnTerminal(cfg config.Log, dev, tty bool) (*Logs, error) {
	return open(cfg, dev, func(*os.File) bool { return tty })
}
