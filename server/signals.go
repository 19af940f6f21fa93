package server

import (
	"os"
	"os/signal"
	"syscall"
)

// command is what a signal asks of the supervisor's loop.
type command int

const (
	cmdStopGraceful command = iota // TERM
	cmdStopFast                    // INT, QUIT
	cmdReload                      // HUP
	cmdIncrease                    // TTIN
	cmdDecrease                    // TTOU
	cmdReopenLogs                  // USR1
	cmdUpgrade                     // USR2
)

func (c command) String() string {
	return [...]string{"graceful stop", "fast stop", "reload", "one more worker", "one worker fewer", "reopen logs", "upgrade"}[c]
}

// handledSignals are the signals the supervisor acts on.
func handledSignals() []os.Signal {
	return []os.Signal{
		syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR1, syscall.SIGUSR2,
	}
}

// commandFor maps a signal to its command, as Gunicorn does.
func commandFor(sig os.Signal) command {
	switch sig {
	case syscall.SIGTERM:
		return cmdStopGraceful
	case syscall.SIGHUP:
		return cmdReload
	case syscall.SIGTTIN:
		return cmdIncrease
	case syscall.SIGTTOU:
		return cmdDecrease
	case syscall.SIGUSR1:
		return cmdReopenLogs
	case syscall.SIGUSR2:
		return cmdUpgrade
	}
	return cmdStopFast // INT, QUIT
}

// notifySignals is the supervisor's only signal.Notify: it turns signals
// into commands for the supervisor loop until stop is called.
func notifySignals() (cmds <-chan command, stop func()) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, handledSignals()...)
	out := make(chan command, 16)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				select {
				case out <- commandFor(sig):
				case <-done:
					return
				}
			}
		}
	}()
	return out, func() {
		signal.Stop(sigs)
		close(done)
		<-finished
	}
}
