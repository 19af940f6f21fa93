package cli

import (
	"fmt"
	"time"

	"github.com/drover/drover/internal/config"
)

// minLinger is the shortest --keep-alive that leaves a proxy room for
// its own, shorter, idle timeout (nginx's keepalive_timeout counts whole
// seconds).
const minLinger = 2 * time.Second

// lingerWarnings are the threats to a drain that loses nothing in p's
// configuration c: a draining worker keeps an idle keep-alive connection
// open for --keep-alive (the linger) before it closes it, so a client or
// proxy that keeps idle connections for less never sends on a closed one.
func (p Program) lingerWarnings(c config.Config) []string {
	var out []string
	keep, graceful := c.Worker.KeepAlive, c.Server.GracefulTimeout
	if keep > 0 && keep < minLinger {
		out = append(out, fmt.Sprintf("--keep-alive %s is shorter than %s: a proxy's idle upstream timeout (nginx's keepalive_timeout) must be shorter still, or its requests race %s closing the connection", keep, minLinger, p.name()))
	}
	if c.Worker.Class != "sync" && keep > 0 && graceful <= keep {
		out = append(out, fmt.Sprintf("--graceful-timeout %s is not longer than --keep-alive %s: a drain is cut short before idle keep-alive connections linger out, and a client reusing one then loses its request", graceful, keep))
	}
	return out
}
