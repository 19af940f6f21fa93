package worker

import (
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
)

// notifySignals starts catching the signals a worker acts on. It runs
// before the worker reports ready: a signal sent right after Ready must not
// meet Go's default action.
func notifySignals() chan os.Signal {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGHUP)
	return sigs
}

// handleSignals turns the supervisor's signals into stops: TERM drains,
// INT and QUIT stop at once, USR1 reopens the log files. It returns when
// done closes.
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
			case syscall.SIGHUP:
				w.log.Debug("HUP is for the supervisor; ignored")
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
