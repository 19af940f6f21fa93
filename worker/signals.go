package worker

import (
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
)

// handleSignals turns the supervisor's signals into stops: TERM drains,
// INT and QUIT stop at once, USR1 reopens the log files. It returns when
// done closes.
func (w *Worker) handleSignals(done <-chan struct{}, stop chan<- stopKind) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGHUP)
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
	if w.cfg.Reopen == nil {
		return
	}
	if err := w.cfg.Reopen(); err != nil {
		w.log.Error("reopen log files", zap.Error(err))
		return
	}
	w.log.Info("log files reopened")
}
