package proto_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/drover/drover/internal/proto"
)

func ExampleEncode() {
	var channel bytes.Buffer // a net.Conn in drover
	if err := proto.Encode(&channel, proto.Ready{PID: 42}); err != nil {
		fmt.Println(err)
		return
	}
	b := channel.Bytes()
	fmt.Printf("length % x | version %d | kind %d | %s\n", b[:4], b[4], b[5], b[6:])
	// Output:
	// length 00 00 00 0c | version 1 | kind 2 | {"pid":42}
}

func ExampleDecode() {
	var channel bytes.Buffer
	_ = proto.Encode(&channel, proto.Ready{PID: 42})
	_ = proto.Encode(&channel, proto.Heartbeat{Requests: 10, InFlight: 1})
	_ = proto.Encode(&channel, proto.Retiring{Reason: "max-requests", Requests: 10})

	for {
		m, err := proto.Decode(&channel)
		if err == io.EOF {
			fmt.Println("peer gone")
			return
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		switch m := m.(type) {
		case proto.Ready:
			fmt.Println("ready, pid", m.PID)
		case proto.Heartbeat:
			fmt.Println("heartbeat,", m.Requests, "requests,", m.InFlight, "in flight")
		case proto.Retiring:
			fmt.Println("retiring:", m.Reason)
		}
	}
	// Output:
	// ready, pid 42
	// heartbeat, 10 requests, 1 in flight
	// retiring: max-requests
	// peer gone
}
