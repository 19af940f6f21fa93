package worker

import (
	"bytes"
	"context"
	"runtime/pprof"
	"strconv"
)

// stackLabel is the profiler label (runtime/pprof) a request's goroutine
// carries under --request-timeout, so its stack can be found among all of
// them when it times out. Goroutines the handler starts inherit it. A
// label costs about a tenth of reading the goroutine's own number from a
// one-frame trace, on every request.
const stackLabel = "drover_request"

// labelled runs f with ctx and its goroutine labelled value, restoring
// the goroutine's labels after.
func labelled(ctx context.Context, value string, f func(context.Context)) {
	pprof.Do(ctx, pprof.Labels(stackLabel, value), f)
}

// labelledStacks is the stacks of the goroutines labelled value, one
// frame a function line and a file:line line, as a crash prints them; nil
// when there are none (they ended, or the handler replaced its labels).
// It takes the goroutine profile: the world stops for as long as that
// takes, which a timeout can afford.
func labelledStacks(value string) []byte {
	var dump bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&dump, 1); err != nil {
		return nil
	}
	// In the profile's text form each group of goroutines is a block:
	//	N @ 0x… 0x…
	//	# labels: {"drover_request":"7"}
	//	#	0x487244	time.Sleep+0x164	/usr/lib/go/src/runtime/time.go:363
	want := []byte(`"` + stackLabel + `":"` + value + `"`)
	var out []byte
	for _, block := range bytes.Split(dump.Bytes(), []byte("\n\n")) {
		lines := bytes.Split(block, []byte("\n"))
		if len(lines) < 2 || !bytes.HasPrefix(lines[1], []byte("# labels: ")) || !bytes.Contains(lines[1], want) {
			continue
		}
		if len(out) > 0 {
			out = append(out, '\n')
		}
		count, _, _ := bytes.Cut(lines[0], []byte(" @ "))
		out = append(out, "goroutines: "...)
		out = append(out, count...)
		out = append(out, '\n')
		for _, frame := range lines[2:] {
			f := bytes.Fields(bytes.TrimPrefix(frame, []byte("#")))
			if len(f) < 3 {
				continue
			}
			out = append(out, f[1]...) // function+offset; f[0] is the PC
			out = append(out, "\n\t"...)
			out = append(out, f[2]...) // file:line
			out = append(out, '\n')
		}
	}
	return bytes.TrimRight(out, "\n")
}

// requestLabel is the label value of the n-th request.
func requestLabel(n uint64) string { return strconv.FormatUint(n, 10) }
