// Command profdrover is drover (cmd/drover, unchanged: the same cli.Main
// and Program) with one addition for the benchmark's --profile mode: when
// BENCH_CPUPROFILE_DIR is set, each worker process writes a CPU profile of
// its whole life to DIR/worker-PID.pprof as it exits (after a TERM drain
// or a fast stop). The supervisor is not profiled. Merge the profiles with
//
//	go tool pprof -top DIR/worker-*.pprof
//
// It exists so that drover's own workers can be profiled under real load,
// through the real supervisor and process model, without touching drover's
// packages.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/drover/drover/cli"
	"github.com/drover/drover/internal/proto"
)

func main() {
	os.Exit(run())
}

func run() int {
	program := cli.Program{Name: "drover"}
	dir := os.Getenv("BENCH_CPUPROFILE_DIR")
	if dir == "" || os.Getenv(proto.EnvRole) != proto.RoleWorker {
		return cli.Main(program)
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.pprof", os.Getpid())))
	if err != nil {
		fmt.Fprintln(os.Stderr, "profdrover:", err)
		return 1
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "profdrover:", err)
		return 1
	}
	defer pprof.StopCPUProfile()
	return cli.Main(program)
}
