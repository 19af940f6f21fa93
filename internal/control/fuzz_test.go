package control_test

import (
	"bytes"
	"testing"

	"github.com/drover/drover/internal/control"
)

// FuzzControlRequest: whatever a client sends, ParseRequest returns a
// request that passes Check or an error, never panics; a request it
// accepts reads back the same after WriteLine.
func FuzzControlRequest(f *testing.F) {
	for _, seed := range []string{
		`{"v":1,"cmd":"status"}`,
		`{"v":1,"cmd":"reload","wait":true}`,
		`{"v":1,"cmd":"scale","workers":5}`,
		`{"v":1,"cmd":"stop","fast":true}`,
		`{"v":2,"cmd":"status"}`,
		`{"v":1,"cmd":"scale","workers":1e3}`,
		`{"v":1,"cmd":"status"} x`,
		`{"v":1,"cmd":"\u0073tatus"}`,
		`null`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := control.ParseRequest(line)
		if err != nil {
			return
		}
		if err := req.Check(); err != nil {
			t.Fatalf("ParseRequest(%q) accepted %+v, which Check refuses: %v", line, req, err)
		}
		var buf bytes.Buffer
		if err := control.WriteLine(&buf, req); err != nil {
			t.Fatal(err)
		}
		again, err := control.ParseRequest(buf.Bytes())
		if err != nil || again != req {
			t.Fatalf("ParseRequest(WriteLine(%+v)) = %+v, %v", req, again, err)
		}
	})
}
