package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run printed (with --latency).
type wrkResult struct {
	Requests int64         // "N requests in …"
	Elapsed  time.Duration // "… in 8.01s"
	RPS      float64       // "Requests/sec:"
	Mean     time.Duration // Thread Stats, Latency, Avg
	P50, P75 time.Duration // Latency Distribution
	P90, P99 time.Duration
	Non2xx   int64 // "Non-2xx or 3xx responses:"
	// Socket errors: connect, read, write, timeout.
	Connect, Read, Write, Timeout int64
}

// Errors is every failed or non-2xx request of the run.
func (r wrkResult) Errors() int64 {
	return r.Non2xx + r.Connect + r.Read + r.Write + r.Timeout
}

var (
	wrkLatency  = regexp.MustCompile(`^Latency\s+(\S+)\s+\S+\s+\S+`)
	wrkPercent  = regexp.MustCompile(`^(50|75|90|99)%\s+(\S+)$`)
	wrkRequests = regexp.MustCompile(`^(\d+) requests in (\S+), `)
	wrkSocket   = regexp.MustCompile(`^Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)$`)
	wrkNon2xx   = regexp.MustCompile(`^Non-2xx or 3xx responses: (\d+)$`)
	wrkRPS      = regexp.MustCompile(`^Requests/sec:\s+([0-9.]+)$`)
)

// parseWrk reads wrk's report. Requests/sec, the request count and the
// 50th and 99th percentiles are required (run wrk with --latency); socket
// errors and non-2xx lines are optional, as wrk prints them only when
// there are some.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRPS, haveReq, have50, have99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		var err error
		switch {
		case wrkLatency.MatchString(line):
			r.Mean, err = parseWrkDuration(wrkLatency.FindStringSubmatch(line)[1])
		case wrkPercent.MatchString(line):
			m := wrkPercent.FindStringSubmatch(line)
			var d time.Duration
			d, err = parseWrkDuration(m[2])
			switch m[1] {
			case "50":
				r.P50, have50 = d, true
			case "75":
				r.P75 = d
			case "90":
				r.P90 = d
			case "99":
				r.P99, have99 = d, true
			}
		case wrkRequests.MatchString(line):
			m := wrkRequests.FindStringSubmatch(line)
			r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
			r.Elapsed, err = parseWrkDuration(m[2])
			haveReq = true
		case wrkSocket.MatchString(line):
			m := wrkSocket.FindStringSubmatch(line)
			r.Connect, _ = strconv.ParseInt(m[1], 10, 64)
			r.Read, _ = strconv.ParseInt(m[2], 10, 64)
			r.Write, _ = strconv.ParseInt(m[3], 10, 64)
			r.Timeout, _ = strconv.ParseInt(m[4], 10, 64)
		case wrkNon2xx.MatchString(line):
			r.Non2xx, _ = strconv.ParseInt(wrkNon2xx.FindStringSubmatch(line)[1], 10, 64)
		case wrkRPS.MatchString(line):
			r.RPS, err = strconv.ParseFloat(wrkRPS.FindStringSubmatch(line)[1], 64)
			haveRPS = true
		}
		if err != nil {
			return wrkResult{}, fmt.Errorf("wrk line %q: %w", line, err)
		}
	}
	switch {
	case !haveRPS:
		return wrkResult{}, errors.New("wrk output has no Requests/sec line")
	case !haveReq:
		return wrkResult{}, errors.New("wrk output has no request count")
	case !have50 || !have99:
		return wrkResult{}, errors.New("wrk output has no latency distribution (run with --latency)")
	}
	return r, nil
}

// parseWrkDuration reads wrk's time format: a decimal number and one of
// the units us, ms, s, m, h.
func parseWrkDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		return time.Duration(math.Round(f * float64(u.unit))), nil
	}
	return 0, fmt.Errorf("duration %q: unknown unit", s)
}

// wrkRun is one wrk invocation.
type wrkRun struct {
	Threads, Conns int
	Duration       time.Duration
	Timeout        time.Duration // 0: wrk's default (2s)
	Header         string        // one -H value, "" for none
	Script         string        // -s file, "" for none
	URL            string
	ScriptArgs     []string // after --: the script's init(args)
}

// args is wrk's command line.
func (w wrkRun) args() []string {
	a := []string{"-t" + strconv.Itoa(w.Threads), "-c" + strconv.Itoa(w.Conns), "-d" + wrkSeconds(w.Duration)}
	if w.Timeout > 0 {
		a = append(a, "--timeout", wrkSeconds(w.Timeout))
	}
	a = append(a, "--latency")
	if w.Header != "" {
		a = append(a, "-H", w.Header)
	}
	if w.Script != "" {
		a = append(a, "-s", w.Script)
	}
	a = append(a, w.URL)
	if len(w.ScriptArgs) > 0 {
		a = append(append(a, "--"), w.ScriptArgs...)
	}
	return a
}

// wrkSeconds formats d for wrk, which takes whole seconds, minutes or
// hours only: d rounded up to a second.
func wrkSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))) + "s"
}

// String is the command line for RESULTS.md, with the token elided.
func (w wrkRun) String() string {
	parts := []string{"wrk"}
	for _, a := range w.args() {
		if strings.HasPrefix(a, "Authorization: Bearer ") {
			a = "Authorization: Bearer $TOKEN"
		}
		if strings.ContainsAny(a, " $\"'") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// run starts wrk and parses its report. ctx ending kills it.
func (w wrkRun) run(ctx context.Context, ps *procs) (wrkResult, string, error) {
	cmd := exec.CommandContext(ctx, "wrk", w.args()...)
	cmd.WaitDelay = 2 * time.Second
	out, err := ps.output(cmd)
	if err != nil {
		return wrkResult{}, string(out), fmt.Errorf("%s: %w: %s", w, err, strings.TrimSpace(string(out)))
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return wrkResult{}, string(out), fmt.Errorf("%s: %w", w, err)
	}
	return r, string(out), nil
}
