package worker

import (
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
)

// supervisorOnly lists the signals meant for the supervisor that reach a worker
// too: systemctl kill and kill(1) on a process group signal every process
// of the unit or group. The worker catches them so that none has its
// default action here: TTIN and TTOU would stop (pause) the worker until
// --timeout killed it, and USR2, caught by the Go runtime but unused, is
// listed with WINCH (Gunicorn's arbiter signal) to say so.
func supervisorOnly() []os.Signal {
	return []os.Signal{syscall.SIGHUP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR2, syscall.SIGWINCH}
}

// notifySignals starts catching the signals a worker acts on, and those it
// ignores. It runs before the worker reports ready: a signal sent right
// after Ready must not meet Go's default action.
//
// Ignored signals are caught rather than set to SIG_IGN (signal.Ignore),
// which a program the application runs would inherit across exec.
func notifySignals() chan os.Signal {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, append([]os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1}, supervisorOnly()...)...)
	return sigs
}

// handleSignals turns the supervisor's signals into stops: TERM drains,
// INT and QUIT stop at once, USR1 reopens the log files; the
// supervisor-only ones are logged at debug level and ignored. It returns
// when done closes.
func (w *Worker) handleSignals(sigs chan os.Signal, done <-chan struct{}, stop chan<- stopKind) {
	defer signal.Stop(sigs)
	for {
		select {
		case <-done:
			return
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM:
				requestStop(stop, stopGraceful)
			case syscall.SIGINT, syscall.SIGQUIT:
				requestStop(stop, stopFast)
			case syscall.SIGUSR1:
				w.reopenLogs()
			default:
				w.log.Debug("signal is for the supervisor; ignored", zap.Stringer("signal", sig))
			}
		}
	}
}

func (w *Worker) reopenLogs() {
	if w.opts.Reopen == nil {
		return
	}
	if err := w.opts.Reopen(); err != nil {
		w.log.Error("reopen log files", zap.Error(err))
		return
	}
	w.log.Info("log files reopened")
}
