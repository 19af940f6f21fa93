package stacktrace_test

import (
	"fmt"

	"github.com/drover/drover/internal/stacktrace"
)

func ExampleReadable() {
	dump := "goroutine 7 [running]:\n" +
		"runtime/debug.Stack()\n\t/go/src/runtime/debug/stack.go:26 +0x5e\n" +
		"panic({0x1, 0x2})\n\t/go/src/runtime/panic.go:785 +0x132\n" +
		"net/http.HandlerFunc.ServeHTTP(0x1, {0x2}, 0x3)\n\t/go/src/net/http/server.go:2220 +0x29\n" +
		"main.handler({0x2}, 0x3)\n\t/src/cmd/shop/main.go:20 +0x1\n"
	fmt.Println(stacktrace.Readable(dump))
	// Output:
	// goroutine 7 [running]:
	//   main.handler({0x2}, 0x3)
	//       /src/cmd/shop/main.go:20
	//   -- drover and the standard library --
	//   net/http.HandlerFunc.ServeHTTP(0x1, {0x2}, 0x3)
	//       /go/src/net/http/server.go:2220
}
