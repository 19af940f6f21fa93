package proto_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// frame builds a frame by hand: the length of version+kind+payload, then
// those bytes.
func frame(version, kind byte, payload string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(2+len(payload)))
	b = append(b, version, kind)
	return append(b, payload...)
}

// header is a frame header alone, announcing size bytes.
func header(size uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, size)
}

func customConfig() config.Config {
	c := config.Default()
	c.File = "/etc/drover.toml"
	c.Server.Bind = []string{"unix:/run/drover.sock", "[::1]:9000"}
	c.Server.Workers = 3
	c.Worker.Class = "sync"
	c.Proxy.ForwardedAllowIPs = nil
	c.Proxy.TrustAll = true
	return c
}

// settingsFrame is a Config message carrying c as the program sends it.
func settingsFrame(t testing.TB, c config.Config, slot, gen int) proto.Config {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return proto.Config{Schema: config.Schema(), Settings: b, Slot: slot, Generation: gen}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		give proto.Message
	}{
		{name: "config", give: settingsFrame(t, config.Default(), 2, 1)},
		{name: "custom config", give: settingsFrame(t, customConfig(), 0, 7)},
		{name: "ready", give: proto.Ready{PID: 4242}},
		{name: "heartbeat", give: proto.Heartbeat{Requests: 1 << 40, InFlight: 3, RSS: 64 << 20}},
		{name: "heartbeat with oldest", give: proto.Heartbeat{
			Requests: 10,
			InFlight: 2,
			RSS:      1 << 20,
			Oldest: []proto.Request{
				{Method: "POST", Path: "/upload", RequestID: "a1", Age: 31 * time.Second},
				{Method: "GET", Path: "/é?q=\"x\"", RequestID: "b2", Age: 1500 * time.Millisecond},
			},
		}},
		{name: "retiring", give: proto.Retiring{Reason: "max-requests", Requests: 1000}},
		{name: "retiring over max-rss", give: proto.Retiring{Reason: "max-rss", Requests: 12, RSS: 600 << 20}},
		{name: "stopping", give: proto.Stopping{Delay: 5 * time.Second}},
		{name: "refused", give: proto.Refused{Reason: "settings schema mismatch", Schema: "0123456789abcdef"}},
		{name: "zero values", give: proto.Heartbeat{}},
		{name: "config asking for metrics", give: proto.Config{Schema: "s", Settings: json.RawMessage(`{}`), Slot: 1, Generation: 1, Metrics: true}},
		{name: "heartbeat with metrics", give: proto.Heartbeat{Requests: 3, RSS: 1 << 20, Metrics: &proto.MetricsDelta{
			Requests:         []proto.RequestCount{{Class: "app", Code: 200, N: 2}, {Class: "api", Code: 401, N: 1}},
			Durations:        []proto.Histogram{{Class: "app", Counts: []uint64{2, 0, 1}, SumNanos: 12345}},
			ResponseBytes:    512,
			LoginsOK:         1,
			LoginsFailed:     2,
			RefreshRotations: 3,
			RefreshReuses:    1,
			HashWait:         &proto.Histogram{Counts: []uint64{1, 0}, SumNanos: 99},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := proto.Encode(&buf, tt.give); err != nil {
				t.Fatalf("Encode(%+v) = %v", tt.give, err)
			}

			got, err := proto.Decode(&buf)
			if err != nil || !reflect.DeepEqual(got, tt.give) {
				t.Errorf("Decode(Encode(%+v)) = %+v, %v; want the same message", tt.give, got, err)
			}
			if _, err := proto.Decode(&buf); err != io.EOF {
				t.Errorf("Decode after the only frame = %v, want io.EOF", err)
			}
		})
	}
}

func TestDecodeStream(t *testing.T) {
	want := []proto.Message{
		proto.Ready{PID: 1},
		proto.Heartbeat{Requests: 1},
		proto.Heartbeat{Requests: 2},
		proto.Retiring{Reason: "max-requests", Requests: 2},
	}
	var buf bytes.Buffer
	for _, m := range want {
		if err := proto.Encode(&buf, m); err != nil {
			t.Fatalf("Encode(%+v) = %v", m, err)
		}
	}

	var got []proto.Message
	for {
		m, err := proto.Decode(&buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Decode after %d messages = %v", len(got), err)
		}
		got = append(got, m)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode of a stream = %+v, want %+v", got, want)
	}
}

func TestEncodeFrame(t *testing.T) {
	var buf bytes.Buffer
	if err := proto.Encode(&buf, proto.Ready{PID: 42}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.Bytes(), frame(proto.Version, byte(proto.KindReady), `{"pid":42}`); !bytes.Equal(got, want) {
		t.Errorf("Encode(Ready{PID: 42}) wrote %q, want %q", got, want)
	}
}

// writeCounter counts Write calls.
type writeCounter struct{ writes int }

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return len(p), nil
}

func TestEncodeOneWritePerFrame(t *testing.T) {
	tests := []struct {
		name string
		give proto.Message
	}{
		{name: "small", give: proto.Ready{PID: 1}},
		{name: "config", give: settingsFrame(t, config.Default(), 0, 0)},
		{name: "large heartbeat", give: proto.Heartbeat{Oldest: []proto.Request{{Path: strings.Repeat("p", 512<<10)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w writeCounter
			err := proto.Encode(&w, tt.give)
			if err != nil || w.writes != 1 {
				t.Errorf("Encode(%T) = %v with %d writes, want nil with 1 write", tt.give, err, w.writes)
			}
		})
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestEncodeErrors(t *testing.T) {
	broken := errors.New("broken pipe")
	huge := proto.Heartbeat{Oldest: []proto.Request{{Path: strings.Repeat("p", proto.MaxSize)}}}
	tests := []struct {
		name    string
		giveW   io.Writer
		giveMsg proto.Message
		wantErr error
	}{
		{name: "write error is wrapped", giveW: failingWriter{broken}, giveMsg: proto.Ready{PID: 1}, wantErr: broken},
		{name: "too large", giveW: io.Discard, giveMsg: huge, wantErr: proto.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := proto.Encode(tt.giveW, tt.giveMsg); !errors.Is(err, tt.wantErr) {
				t.Errorf("Encode(%T) = %v, want %v", tt.giveMsg, err, tt.wantErr)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	ready := frame(proto.Version, byte(proto.KindReady), `{"pid":1}`)
	tests := []struct {
		name    string
		give    []byte
		wantErr error
	}{
		{name: "truncated header", give: []byte{0, 0}, wantErr: io.ErrUnexpectedEOF},
		{name: "truncated frame", give: ready[:len(ready)-3], wantErr: io.ErrUnexpectedEOF},
		{name: "size too large", give: header(proto.MaxSize + 1), wantErr: proto.ErrTooLarge},
		{name: "size all ones", give: header(0xffffffff), wantErr: proto.ErrTooLarge},
		{name: "size 0", give: header(0), wantErr: proto.ErrShort},
		{name: "size 1", give: append(header(1), proto.Version), wantErr: proto.ErrShort},
		{name: "version 0", give: frame(0, byte(proto.KindReady), `{}`), wantErr: proto.ErrVersion},
		{name: "version 2", give: frame(proto.Version+1, byte(proto.KindReady), `{}`), wantErr: proto.ErrVersion},
		{name: "kind 0", give: frame(proto.Version, 0, `{}`), wantErr: proto.ErrKind},
		{name: "kind 99", give: frame(proto.Version, 99, `{}`), wantErr: proto.ErrKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := proto.Decode(bytes.NewReader(tt.give))
			if m != nil || !errors.Is(err, tt.wantErr) {
				t.Errorf("Decode(%q) = %v, %v; want nil, %v", tt.give, m, err, tt.wantErr)
			}
		})
	}
}

func TestDecodeBadPayload(t *testing.T) {
	tests := []struct {
		name string
		give []byte
	}{
		{name: "empty payload", give: frame(proto.Version, byte(proto.KindReady), ``)},
		{name: "not JSON", give: frame(proto.Version, byte(proto.KindReady), `pid=1`)},
		{name: "truncated JSON", give: frame(proto.Version, byte(proto.KindHeartbeat), `{"requests":1`)},
		{name: "trailing data", give: frame(proto.Version, byte(proto.KindReady), `{"pid":1} {}`)},
		{name: "wrong type", give: frame(proto.Version, byte(proto.KindReady), `{"pid":"one"}`)},
		{name: "negative unsigned", give: frame(proto.Version, byte(proto.KindHeartbeat), `{"requests":-1}`)},
		{name: "settings not JSON", give: frame(proto.Version, byte(proto.KindConfig), `{"settings":{"Proxy":}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := proto.Decode(bytes.NewReader(tt.give))
			if m != nil || err == nil || !strings.HasPrefix(err.Error(), "proto: decode kind") {
				t.Errorf("Decode(%q) = %v, %v; want nil, a proto: decode error", tt.give, m, err)
			}
		})
	}
}

// TestConfigUnpack checks that a worker gets back the settings its
// supervisor sent, and refuses them, untouched, when they were encoded
// with another settings schema than its own.
func TestConfigUnpack(t *testing.T) {
	own := config.Schema()
	sent := settingsFrame(t, customConfig(), 3, 1)
	var buf bytes.Buffer
	if err := proto.Encode(&buf, sent); err != nil {
		t.Fatal(err)
	}
	m, err := proto.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var got config.Config
	if err := m.(proto.Config).Unpack(own, &got); err != nil || !reflect.DeepEqual(got, customConfig()) {
		t.Errorf("Unpack(own schema) = %+v, %v; want the settings sent, %+v", got, err, customConfig())
	}

	tests := []struct {
		name      string
		give      proto.Config
		wantErr   error
		wantInErr []string
	}{
		{name: "other schema", give: proto.Config{Schema: "feedfacefeedface", Settings: sent.Settings},
			wantErr: proto.ErrSchemaMismatch, wantInErr: []string{"feedfacefeedface", own}},
		{name: "no schema (an older supervisor)", give: proto.Config{Settings: sent.Settings},
			wantErr: proto.ErrSchemaMismatch, wantInErr: []string{"none", own}},
		{name: "settings that are not the settings", give: proto.Config{Schema: own, Settings: json.RawMessage(`[1,2]`)},
			wantInErr: []string{"proto: decode settings"}},
		{name: "no settings", give: proto.Config{Schema: own},
			wantInErr: []string{"proto: decode settings"}},
		{name: "a bad prefix", give: proto.Config{Schema: own, Settings: json.RawMessage(`{"Proxy":{"ForwardedAllowIPs":["nope"]}}`)},
			wantInErr: []string{"proto: decode settings", "nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := config.Default()
			err := tt.give.Unpack(own, &got)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Unpack(%s) = %v; want an error (%v)", tt.give.Schema, err, tt.wantErr)
			}
			for _, s := range tt.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Unpack = %v, want the error to name %q", err, s)
				}
			}
			if errors.Is(err, proto.ErrSchemaMismatch) && !reflect.DeepEqual(got, config.Default()) {
				t.Errorf("Unpack refused the schema but changed the settings to %+v", got)
			}
		})
	}
}

// TestDecodeEOF checks that a clean close between frames is io.EOF itself,
// so callers can test err == io.EOF for "the peer is gone".
func TestDecodeEOF(t *testing.T) {
	tests := []struct {
		name string
		give []byte
	}{
		{name: "nothing", give: nil},
		{name: "after a frame", give: frame(proto.Version, byte(proto.KindReady), `{"pid":1}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(tt.give)
			_, _ = proto.Decode(r) // the frame, if any

			if _, err := proto.Decode(r); err != io.EOF {
				t.Errorf("Decode at end of %q = %v, want io.EOF", tt.give, err)
			}
		})
	}
}

// TestDecodeTruncatedIsNotEOF checks that a frame cut short is never
// reported as io.EOF itself, which means a clean close.
func TestDecodeTruncatedIsNotEOF(t *testing.T) {
	full := frame(proto.Version, byte(proto.KindReady), `{"pid":1}`)
	tests := []struct {
		name string
		give []byte
	}{
		{name: "one header byte", give: full[:1]},
		{name: "header only", give: full[:4]},
		{name: "header and version", give: full[:5]},
		{name: "all but the last byte", give: full[:len(full)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := proto.Decode(bytes.NewReader(tt.give)); err == nil || err == io.EOF {
				t.Errorf("Decode(%q) = %v, want a truncation error", tt.give, err)
			}
		})
	}
}

// headerOnly yields a header and then fails the test if read further.
type headerOnly struct {
	t *testing.T
	r *bytes.Reader
}

func (h headerOnly) Read(p []byte) (int, error) {
	if h.r.Len() == 0 {
		h.t.Error("Decode read past the header of a frame it must refuse")
		return 0, io.EOF
	}
	return h.r.Read(p)
}

// TestDecodeTooLargeDoesNotAllocate checks that a hostile length is
// refused from the header alone, without reading or allocating the body.
func TestDecodeTooLargeDoesNotAllocate(t *testing.T) {
	const runs = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_, err := proto.Decode(headerOnly{t: t, r: bytes.NewReader(header(0xffffffff))})
		if !errors.Is(err, proto.ErrTooLarge) {
			t.Fatalf("Decode(header 0xffffffff) = %v, want ErrTooLarge", err)
		}
	}
	runtime.ReadMemStats(&after)

	// One body of MaxSize per run would be 50 MiB.
	if got := after.TotalAlloc - before.TotalAlloc; got > proto.MaxSize {
		t.Errorf("%d Decodes of a too-large header allocated %d bytes, want far less than %d", runs, got, proto.MaxSize)
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		give proto.Message
		want proto.Kind
	}{
		{give: proto.Config{}, want: proto.KindConfig},
		{give: proto.Ready{}, want: proto.KindReady},
		{give: proto.Heartbeat{}, want: proto.KindHeartbeat},
		{give: proto.Retiring{}, want: proto.KindRetiring},
		{give: proto.Refused{}, want: proto.KindRefused},
		{give: proto.Stopping{}, want: proto.KindStopping},
	}
	for _, tt := range tests {
		t.Run(reflect.TypeOf(tt.give).Name(), func(t *testing.T) {
			if got := tt.give.Kind(); got != tt.want {
				t.Errorf("%T.Kind() = %d, want %d", tt.give, got, tt.want)
			}
		})
	}
}

// TestVersionOneCompatibility decodes the frames of peers older and newer
// than this one within version 1: a heartbeat without metrics (an older
// worker) has none, and fields this binary does not know (a newer peer's)
// are ignored, so adding a field needs no new version.
func TestVersionOneCompatibility(t *testing.T) {
	tests := []struct {
		name     string
		giveKind proto.Kind
		give     string
		want     proto.Message
	}{
		{
			name:     "heartbeat without metrics",
			giveKind: proto.KindHeartbeat,
			give:     `{"requests":7,"in_flight":1,"rss":4096}`,
			want:     proto.Heartbeat{Requests: 7, InFlight: 1, RSS: 4096},
		},
		{
			name:     "heartbeat with a field from the future",
			giveKind: proto.KindHeartbeat,
			give:     `{"requests":7,"metrics":{"requests":[{"class":"app","code":200,"n":7}],"open_files":12},"cpu_s":1.5}`,
			want:     proto.Heartbeat{Requests: 7, Metrics: &proto.MetricsDelta{Requests: []proto.RequestCount{{Class: "app", Code: 200, N: 7}}}},
		},
		{
			name:     "config without metrics",
			giveKind: proto.KindConfig,
			give:     `{"schema":"s","settings":{},"slot":2,"generation":3}`,
			want:     proto.Config{Schema: "s", Settings: json.RawMessage(`{}`), Slot: 2, Generation: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := proto.Decode(bytes.NewReader(frame(proto.Version, byte(tt.giveKind), tt.give)))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode(%s) = %+v, %v; want %+v", tt.give, got, err, tt.want)
			}
		})
	}
}
