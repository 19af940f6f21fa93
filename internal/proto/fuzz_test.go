package proto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/proto"
)

// FuzzDecode feeds arbitrary bytes to Decode, as a broken or hostile peer
// could: it never panics, and what it accepts re-encodes to a frame that
// decodes to the same message.
//
// Equality is checked on the wire: a message decoded from arbitrary JSON
// may differ from its re-decoded self in ways encoding/json does not keep
// (an empty "oldest" list comes back nil, as it is omitted when empty).
func FuzzDecode(f *testing.F) {
	for _, m := range []proto.Message{
		proto.Config{Schema: config.Schema(), Settings: []byte(`{"Server":{"Workers":2}}`), Slot: 1, Generation: 2},
		proto.Ready{PID: 4242},
		proto.Heartbeat{Requests: 7, InFlight: 1, RSS: 1 << 20, Oldest: []proto.Request{{Method: "GET", Path: "/", RequestID: "x", Age: 5}}},
		proto.Retiring{Reason: "max-requests", Requests: 1000},
		proto.Retiring{Reason: "max-rss", Requests: 3, RSS: 600 << 20},
		proto.Stopping{Delay: 5e9},
		proto.Refused{Reason: "settings schema mismatch", Schema: config.Schema()},
	} {
		var buf bytes.Buffer
		if err := proto.Encode(&buf, m); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte{})
	f.Add(header(0))
	f.Add(header(proto.MaxSize + 1))
	f.Add(frame(proto.Version, byte(proto.KindHeartbeat), `{"oldest":[]}`))
	f.Add(frame(proto.Version, byte(proto.KindReady), `null`))
	f.Add(frame(proto.Version+1, byte(proto.KindReady), `{}`))
	f.Add(frame(proto.Version, 9, `{}`))
	f.Add(frame(proto.Version, byte(proto.KindConfig), `{"schema":"0000000000000000","slot":1}`))
	f.Add(frame(proto.Version, byte(proto.KindConfig), `{"slot":1,"settings":null}`))
	f.Add(frame(proto.Version, byte(proto.KindConfig), `{"schema":"x","settings": { "a" : [1, 2] } }`))
	f.Add(frame(proto.Version, byte(proto.KindConfig), `{"schema":"`+config.Schema()+`","SCHEMA":"x"}`))
	f.Add(frame(proto.Version, byte(proto.KindRefused), `{"reason":"","schema":null}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := proto.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var first bytes.Buffer
		if err := proto.Encode(&first, m); errors.Is(err, proto.ErrTooLarge) {
			// JSON escaping can grow a frame near MaxSize past it.
			t.Skip("re-encoded frame is larger than MaxSize")
		} else if err != nil {
			t.Fatalf("Encode(Decode(%q)) = %v", data, err)
		}
		again, err := proto.Decode(bytes.NewReader(first.Bytes()))
		if err != nil || again.Kind() != m.Kind() {
			t.Fatalf("Decode(Encode(%+v)) = %+v, %v; want a %T", m, again, err, m)
		}
		var second bytes.Buffer
		if err := proto.Encode(&second, again); err != nil || !bytes.Equal(second.Bytes(), first.Bytes()) {
			t.Errorf("Decode(%q) = %+v re-encodes as\n%q\nthen as\n%q, %v; want the same frame", data, m, first.Bytes(), second.Bytes(), err)
		}
	})
}
