package control_test

import (
	"fmt"
	"os"

	"github.com/drover/drover/internal/control"
)

// A request line as drover reload --wait writes it, and the supervisor's
// reading of it.
func ExampleParseRequest() {
	_ = control.WriteLine(os.Stdout, control.Request{V: control.Version, Cmd: control.CmdReload, Wait: true})
	req, err := control.ParseRequest([]byte(`{"v":1,"cmd":"scale","workers":5}`))
	fmt.Println(req.Cmd, req.Workers, err)
	_, err = control.ParseRequest([]byte(`{"v":1,"cmd":"scale","workers":0}`))
	fmt.Println(err)
	// Output:
	// {"v":1,"cmd":"reload","wait":true}
	// scale 5 <nil>
	// bad argument: scale takes workers from 1 to 1024, got 0
}
