package worker

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// Inherited opens what the supervisor passed this process: the report
// channel at proto.FDChannel and the listeners from proto.FDFirstListener
// on, named with their roles in proto.EnvListeners (see package sockets;
// sockets.RoleOf tells a listener's role).
func Inherited(getenv func(string) string) (net.Conn, []net.Listener, error) {
	env := getenv(proto.EnvListeners)
	if _, err := sockets.Parse(env); err != nil {
		return nil, nil, fmt.Errorf("%s=%q: not started by a drover supervisor: %w", proto.EnvListeners, env, err)
	}
	chFile := os.NewFile(proto.FDChannel, "drover-channel")
	ch, err := net.FileConn(chFile)
	chFile.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("open channel fd %d: %w", proto.FDChannel, err)
	}
	listeners, err := sockets.Inherit(env, proto.FDFirstListener)
	if err != nil {
		ch.Close()
		return nil, nil, fmt.Errorf("inherit listeners: %w", err)
	}
	return ch, sockets.NetListeners(listeners), nil
}

// ReadConfig waits up to timeout for the supervisor's Config message.
func ReadConfig(ch net.Conn, timeout time.Duration) (proto.Config, error) {
	if err := ch.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return proto.Config{}, fmt.Errorf("channel deadline: %w", err)
	}
	m, err := proto.Decode(ch)
	if err != nil {
		return proto.Config{}, fmt.Errorf("read config from supervisor: %w", err)
	}
	if err := ch.SetReadDeadline(time.Time{}); err != nil {
		return proto.Config{}, fmt.Errorf("channel deadline: %w", err)
	}
	cfg, ok := m.(proto.Config)
	if !ok {
		return proto.Config{}, fmt.Errorf("read config from supervisor: got message kind %d", m.Kind())
	}
	return cfg, nil
}
