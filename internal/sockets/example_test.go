package sockets_test

import (
	"fmt"
	"os/exec"

	"github.com/drover/drover/internal/sockets"
)

// A parent binds and holds its sockets, then starts a child with their
// names and roles in its environment and the descriptors from fd 3 on; the
// child opens them with sockets.Inherit(os.Getenv(...), 3).
func Example() {
	bs, err := sockets.ListenAll([]string{"127.0.0.1:0"}, sockets.Options{})
	if err != nil {
		return
	}
	held, err := sockets.HoldAll(bs, sockets.RoleApp)
	if err != nil {
		return
	}
	defer sockets.CloseAll(held)
	cmd := exec.Command("/path/to/child")
	cmd.Env = []string{"LISTENERS=" + sockets.Env(held)}
	cmd.ExtraFiles = sockets.Files(held) // fd 3 on
	fmt.Println(sockets.Env(held))
	// Output: app=127.0.0.1:0
}

// The environment value lists each descriptor's role and name in order.
func ExampleParse() {
	specs, err := sockets.Parse("app=127.0.0.1:8000,redirect=0.0.0.0:80")
	if err != nil {
		return
	}
	for _, s := range specs {
		fmt.Println(s.Role, s.Name)
	}
	// Output:
	// app 127.0.0.1:8000
	// redirect 0.0.0.0:80
}

func ExampleParseBind() {
	for _, s := range []string{"0.0.0.0", "[::1]:9000", "unix:///run/drover.sock", "fd://3"} {
		b, err := sockets.ParseBind(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s %s\n", b.Network, b)
	}
	// Output:
	// tcp 0.0.0.0:8000
	// tcp [::1]:9000
	// unix unix:/run/drover.sock
	// fd fd://3
}
