package server

import (
	"fmt"
	"net"
	"runtime/debug"
	"strings"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/sockets"
)

// announce logs, once, the line a person starting the program looks for:
// what serves where, with how many workers ("notes v1.2.0 serving
// http://127.0.0.1:8000 with 2 workers"). It is logged when the first
// generation is fully ready, not at bind time: until then nothing answers.
// The message is the sentence; the fields say the same for a program.
func (s *Supervisor) announce() {
	if s.announced {
		return
	}
	if serving, _ := s.readyWorkers(s.gen); serving < s.desired {
		return
	}
	s.announced = true
	var urls []string
	for _, l := range s.listeners {
		if l.Role == sockets.RoleApp {
			urls = append(urls, listenerURL(l.Listener.Addr(), s.opts.TLS))
		}
	}
	workers := "workers"
	if s.desired == 1 {
		workers = "worker"
	}
	version := buildVersion()
	s.log.Info(fmt.Sprintf("%s %s serving %s with %d %s", s.name, version, strings.Join(urls, ", "), s.desired, workers),
		zap.String("version", version), zap.Strings("urls", urls), zap.Int("workers", s.desired))
}

// listenerURL is where a client reaches addr: http(s)://host:port, or
// unix:PATH.
func listenerURL(addr net.Addr, tls bool) string {
	if addr.Network() == "unix" {
		return "unix:" + addr.String()
	}
	if tls {
		return "https://" + addr.String()
	}
	return "http://" + addr.String()
}

// buildVersion is the main module's version as the toolchain recorded it:
// "v1.2.0" when installed at a version, "(devel)" or a pseudo-version
// when built from a checkout.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" {
		return "(devel)"
	}
	return info.Main.Version
}
