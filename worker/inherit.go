package worker

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/drover/drover/internal/proto"
)

// Inherited opens what the supervisor passed this process: the report
// channel at proto.FDChannel and the listeners from proto.FDFirstListener
// on, counted by proto.EnvListeners.
func Inherited(getenv func(string) string) (net.Conn, []net.Listener, error) {
	n, err := strconv.Atoi(getenv(proto.EnvListeners))
	if err != nil || n < 1 {
		return nil, nil, fmt.Errorf("%s=%q: not started by a drover supervisor", proto.EnvListeners, getenv(proto.EnvListeners))
	}
	chFile := os.NewFile(proto.FDChannel, "drover-channel")
	ch, err := net.FileConn(chFile)
	chFile.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("open channel fd %d: %w", proto.FDChannel, err)
	}
	listeners := make([]net.Listener, 0, n)
	for i := range n {
		fd := uintptr(proto.FDFirstListener + i)
		f := os.NewFile(fd, "drover-listener-"+strconv.Itoa(i))
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			ch.Close()
			return nil, nil, fmt.Errorf("open listener fd %d: %w", fd, err)
		}
		listeners = append(listeners, l)
	}
	return ch, listeners, nil
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
