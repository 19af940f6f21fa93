package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/logging"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/worker"
)

// configTimeout bounds the wait for the supervisor's Config message.
const configTimeout = 10 * time.Second

// runWorker runs this process as a worker of the supervisor that started
// it. Any failure before serving exits with exitcode.WorkerBoot.
func runWorker(ctx context.Context, p Program) error {
	ch, listeners, err := worker.Inherited(os.Getenv)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, fmt.Errorf("worker boot: %w", err))
	}
	table, err := p.table()
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, fmt.Errorf("worker boot: %w", err))
	}
	msg, err := worker.ReadConfig(ch, configTimeout)
	var cfg config.Config
	if err == nil {
		err = msg.Unpack(table.Schema(), &cfg)
	}
	if errors.Is(err, proto.ErrSchemaMismatch) {
		// This binary has other settings than the supervisor's (a HUP onto
		// a build that added one): say so, so the supervisor can refuse
		// the reload, rather than serve with zero values for them.
		if sendErr := proto.Encode(ch, proto.Refused{Reason: err.Error(), Schema: table.Schema()}); sendErr != nil {
			err = errors.Join(err, sendErr)
		}
	}
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, fmt.Errorf("worker boot: %w", err))
	}
	logs, err := logging.Open(cfg.Log, false)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, fmt.Errorf("worker boot: %w", err))
	}
	defer logs.Close()
	log := logs.Error.Named("worker").With(zap.Int("worker_pid", os.Getpid()), zap.Int("slot", msg.Slot), zap.Int("generation", msg.Generation))

	// The supervisor asks for metrics when it serves --metrics-bind.
	var counted *worker.Metrics
	var obs authObserver
	if msg.Metrics {
		counted = worker.NewMetrics()
		obs = counted
	}
	handler, closeApp, err := p.handler(ctx, cfg, msg.Slot == 1, obs, log)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, fmt.Errorf("worker boot: application: %w", err))
	}
	defer func() {
		if err := closeApp(); err != nil {
			log.Error("close application", zap.Error(err))
		}
	}()
	opts, err := workerOptions(cfg)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, fmt.Errorf("worker boot: %w", err))
	}
	opts.Slot = msg.Slot
	opts.Generation = msg.Generation
	opts.Channel = ch
	opts.Listeners = listeners
	opts.Handler = handler
	opts.Access = logs.Access
	opts.Reopen = logs.Reopen
	opts.Metrics = counted
	w, err := worker.New(opts, log)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, fmt.Errorf("worker boot: %w", err))
	}
	return exitcode.Wrap(exitcode.Runtime, w.Run(ctx))
}
