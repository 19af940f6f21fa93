package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/exitcode"
)

// controlFlags are the control commands' own flags.
type controlFlags struct {
	json, watch, wait, fast bool
}

func (f *controlFlags) status(fs *pflag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print the status as JSON, for scripts")
	fs.BoolVar(&f.watch, "watch", false, "refresh every second until Ctrl-C")
}

func (f *controlFlags) waitFlag(fs *pflag.FlagSet) {
	fs.BoolVar(&f.wait, "wait", false, "return once the new generation is ready (exit status 4 when the reload or upgrade is abandoned)")
}

func (f *controlFlags) stop(fs *pflag.FlagSet) {
	fs.BoolVar(&f.fast, "fast", false, "stop at once, as INT does, rather than drain as TERM does")
}

// register is the flags of command cmd.
func (f *controlFlags) register(cmd string) func(*pflag.FlagSet) {
	switch cmd {
	case "status":
		return f.status
	case "reload", "upgrade":
		return f.waitFlag
	case "stop":
		return f.stop
	}
	return nil
}

// controlSocket is the control socket of configuration c: where serve
// creates it and the control commands dial it, made absolute; "" with
// --control-socket-disable. A default path too long for a unix socket is
// a *longSocketError, an explicit one config.Error.
func (p Program) controlSocket(c config.Config) (string, error) {
	path, explicit := c.ControlSocketPath(p.name(), os.LookupEnv)
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("control socket: %w", err)
	}
	if len(abs) > control.MaxPath {
		if explicit {
			return "", &config.Error{Setting: "control-socket", Err: fmt.Errorf("%s is longer than the %d bytes of a unix socket path", abs, control.MaxPath)}
		}
		return "", &longSocketError{path: abs}
	}
	return abs, nil
}

// longSocketError is a default control socket path too long to bind.
type longSocketError struct{ path string }

func (e *longSocketError) Error() string {
	return fmt.Sprintf("the control socket's default path %s is longer than the %d bytes of a unix socket path; give a shorter --control-socket", e.path, control.MaxPath)
}

// runControl runs status, reload, scale, stop, reopen-logs or upgrade
// against the supervisor serving the same configuration: the control
// socket is found from the same settings serve reads (--control-socket,
// --state-dir, --config, the environment).
func runControl(ctx context.Context, p Program, cmd string, args []string, stdout io.Writer) error {
	var n int
	if cmd == "scale" {
		// N is the first argument, or the last after flags.
		var arg string
		switch k := len(args); {
		case k > 0 && !strings.HasPrefix(args[0], "-"):
			arg, args = args[0], args[1:]
		case k > 1 && !strings.HasPrefix(args[k-1], "-"):
			arg, args = args[k-1], args[:k-1]
		default:
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("usage: %s scale N [flags]", p.name()))
		}
		var err error
		if n, err = strconv.Atoi(arg); err != nil || n < 1 || n > control.MaxWorkers {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("scale: %q is not a worker count from 1 to %d", arg, control.MaxWorkers))
		}
	}
	var f controlFlags
	cfg, shown, err := resolve(p, args, nil, f.register(cmd), stdout)
	if err != nil || shown {
		return err
	}
	path, err := p.controlSocket(cfg)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	if path == "" {
		return exitcode.Wrap(exitcode.Config, errors.New("the control socket is off (--control-socket-disable)"))
	}
	req := control.Request{V: control.Version, Cmd: cmd, Wait: f.wait, Fast: f.fast, Workers: n}
	if cmd == "status" && f.watch {
		return p.watchStatus(ctx, path, f.json, stdout)
	}
	c, err := p.dialControl(path)
	if err != nil {
		return err
	}
	defer c.Close()
	if !f.wait {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	resp, err := c.Do(ctx, req)
	if err != nil {
		return exitcode.Wrap(exitcode.Runtime, err)
	}
	if err := resp.Err(); err != nil {
		return exitcode.Wrap(exitcode.Runtime, fmt.Errorf("%s: %w", cmd, err))
	}
	switch cmd {
	case "status":
		if f.json {
			return writeJSON(stdout, resp.Status)
		}
		writeStatus(stdout, resp.Status, time.Now())
	case "reload":
		if f.wait {
			fmt.Fprintf(stdout, "reloaded: generation %d is ready\n", resp.Generation)
		} else {
			fmt.Fprintf(stdout, "reloading: generation %d is starting (%s status shows it; reload --wait waits for it)\n", resp.Generation, p.name())
		}
	case "scale":
		fmt.Fprintf(stdout, "workers: %d\n", resp.Workers)
	case "stop":
		if f.fast {
			fmt.Fprintln(stdout, "stopping at once")
		} else {
			fmt.Fprintln(stdout, "stopping: the workers drain")
		}
	case "reopen-logs":
		fmt.Fprintln(stdout, "log files reopened")
	case "upgrade":
		if f.wait {
			fmt.Fprintf(stdout, "upgraded: generation %d of the new binary is ready, same PID\n", resp.Generation)
		} else {
			fmt.Fprintf(stdout, "upgrading: a canary of the new binary is starting (generation %d; upgrade --wait waits for the end)\n", resp.Generation)
		}
	}
	return nil
}

// dialControl connects to path, turning a missing, stale or forbidden
// socket into the line an operator acts on (exit status 1).
func (p Program) dialControl(path string) (*control.Client, error) {
	c, err := control.Dial(path, 2*time.Second)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, control.ErrNoSocket):
		err = fmt.Errorf("no control socket at %s: is %s serve running with this --state-dir/--control-socket?", path, p.name())
	case errors.Is(err, control.ErrStale):
		err = fmt.Errorf("stale control socket at %s: no supervisor answers", path)
	case errors.Is(err, control.ErrPermission):
		err = fmt.Errorf("permission denied on control socket %s: run as the server's user", path)
	}
	return nil, exitcode.Wrap(exitcode.Config, err)
}

// watchStatus prints the status every second until Ctrl-C: in place on
// a terminal, else as successive tables (or JSON objects) separated by a
// blank line.
func (p Program) watchStatus(ctx context.Context, path string, asJSON bool, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := p.dialControl(path)
	if err != nil {
		return err
	}
	defer c.Close()
	tty := false
	if f, ok := stdout.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for first := true; ; first = false {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := c.Do(rctx, control.Request{V: control.Version, Cmd: control.CmdStatus})
		cancel()
		if ctx.Err() != nil {
			return nil // Ctrl-C
		}
		if err == nil {
			err = resp.Err()
		}
		if err != nil {
			return exitcode.Wrap(exitcode.Runtime, fmt.Errorf("status: %w", err))
		}
		switch {
		case tty:
			fmt.Fprint(stdout, "\x1b[H\x1b[2J")
		case !first:
			fmt.Fprintln(stdout)
		}
		if asJSON {
			if err := writeJSON(stdout, resp.Status); err != nil {
				return err
			}
		} else {
			writeStatus(stdout, resp.Status, time.Now())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeStatus prints st as a header block and one row per worker.
func writeStatus(w io.Writer, st *control.Status, now time.Time) {
	fmt.Fprintf(w, "%s %s, supervisor pid %d\n", st.Name, st.Version, st.PID)
	fmt.Fprintf(w, "  uptime:      %s (since %s)\n", humanDuration(time.Duration(st.UptimeS*float64(time.Second))), st.Started.UTC().Format(time.DateTime+" UTC"))
	fmt.Fprintf(w, "  generation:  %d\n", st.Generation)
	fmt.Fprintf(w, "  workers:     %d ready of %d\n", st.Ready, st.Desired)
	reload := "none"
	if r := st.Reload; r != nil {
		reload = fmt.Sprintf("to generation %d, for %s", r.Generation, humanDuration(now.Sub(r.Started)))
	}
	fmt.Fprintf(w, "  reload:      %s\n", reload)
	if st.Stopping {
		fmt.Fprintf(w, "  stopping:    yes\n")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tPID\tGEN\tSTATE\tAGE\tREQUESTS\tINFLIGHT\tRSS\tRESTARTS\tLAST-EXIT")
	for _, wk := range st.Workers {
		exit := "-"
		if e := wk.LastExit; e != nil {
			exit = e.Status
			if e.Reason != "" {
				exit += " (" + e.Reason + ")"
			}
			exit += ", " + humanDuration(now.Sub(e.At)) + " ago"
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%d\t%d\t%s\t%d\t%s\n", wk.Slot, wk.PID, wk.Generation, wk.State,
			humanDuration(time.Duration(wk.AgeS*float64(time.Second))), wk.Requests, wk.InFlight, humanBytes(wk.RSS), wk.Restarts, exit)
	}
	tw.Flush()
}

// humanDuration writes d as an operator reads an age: 45s, 3m12s, 2h05m,
// 3d4h.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
}

// humanBytes writes n bytes in binary units, as ps and top do: 900K,
// 23M, 1.5G; "-" for none reported yet.
func humanBytes(n uint64) string {
	switch {
	case n == 0:
		return "-"
	case n < 1<<20:
		return fmt.Sprintf("%dK", (n+1<<9)>>10)
	case n < 1<<30:
		return fmt.Sprintf("%dM", (n+1<<19)>>20)
	}
	return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
}
