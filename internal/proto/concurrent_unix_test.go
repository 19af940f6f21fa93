//go:build unix

package proto_test

import (
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/drover/drover/internal/proto"
)

// socketpair returns both ends of a unix stream socketpair, the channel
// the supervisor gives each worker.
func socketpair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int, name string) net.Conn {
		f := os.NewFile(uintptr(fd), name)
		defer f.Close() // FileConn dups the descriptor
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		// Small buffers, so most frames take several write(2) calls.
		if err := c.(*net.UnixConn).SetWriteBuffer(8 << 10); err != nil {
			t.Fatal(err)
		}
		if err := c.(*net.UnixConn).SetReadBuffer(8 << 10); err != nil {
			t.Fatal(err)
		}
		return c
	}
	return conn(fds[0], "supervisor"), conn(fds[1], "worker")
}

func pipe(*testing.T) (net.Conn, net.Conn) { return net.Pipe() }

// TestEncodeConcurrent has several goroutines Encode to one net.Conn while
// one goroutine Decodes from the other end: as each frame is one Write,
// frames never interleave, even ones larger than the socket buffer.
func TestEncodeConcurrent(t *testing.T) {
	const writers, perWriter = 4, 25
	tests := []struct {
		name     string
		giveConn func(*testing.T) (net.Conn, net.Conn)
	}{
		{name: "net.Pipe", giveConn: pipe},
		{name: "socketpair", giveConn: socketpair},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, r := tt.giveConn(t)
			var wg sync.WaitGroup
			done := make(chan struct{})
			defer func() {
				r.Close() // unblocks the writers if the reader stopped early
				<-done
			}()

			for id := range writers {
				wg.Go(func() {
					for i := range perWriter {
						if err := proto.Encode(w, heartbeat(id, i)); err != nil {
							t.Errorf("writer %d: Encode #%d = %v", id, i, err)
							return
						}
					}
				})
			}
			go func() {
				wg.Wait()
				w.Close()
				close(done)
			}()

			next := make([]int, writers) // each writer's frames arrive in order
			for {
				m, err := proto.Decode(r)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Decode = %v", err)
				}
				hb := m.(proto.Heartbeat)
				id, i := int(hb.Requests/1000), int(hb.Requests%1000)
				if want := heartbeat(id, next[id]); !equalHeartbeat(hb, want) {
					t.Fatalf("Decode = heartbeat %d/%d (%d bytes of path), want %d/%d intact",
						id, i, len(hb.Oldest[0].Path), id, next[id])
				}
				next[id]++
			}
			for id, n := range next {
				if n != perWriter {
					t.Errorf("writer %d: %d frames arrived, want %d", id, n, perWriter)
				}
			}
		})
	}
}

// heartbeat is writer id's i-th message, of a size from 10 bytes to
// about 190 KiB: most are larger than the socket's buffer.
func heartbeat(id, i int) proto.Heartbeat {
	size := 10 + (i*7919)%(256<<10)
	return proto.Heartbeat{
		Requests: uint64(id*1000 + i),
		InFlight: id,
		RSS:      uint64(size),
		Oldest: []proto.Request{{
			Method:    "GET",
			Path:      "/" + strings.Repeat(string(rune('a'+id)), size),
			RequestID: strings.Repeat("r", i),
		}},
	}
}

func equalHeartbeat(a, b proto.Heartbeat) bool {
	return a.Requests == b.Requests && a.InFlight == b.InFlight && a.RSS == b.RSS &&
		len(a.Oldest) == 1 && len(b.Oldest) == 1 && a.Oldest[0] == b.Oldest[0]
}
