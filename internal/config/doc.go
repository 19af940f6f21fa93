// Package config is drover's one typed configuration: the settings, their
// defaults, their parsers, and the one function (Resolve) that layers
// defaults < config file < DROVER_* environment < flags.
//
// It runs in the supervisor (and in dev mode, and in drover check); workers
// receive the resolved Config over the supervisor's channel and never parse
// flags. On HUP the supervisor calls Resolve again with the same arguments,
// which re-reads the file and the environment. Every bad value comes back
// as one error naming the setting, where it came from, and why; an unknown
// flag with the flag it resembles or the Gunicorn flag's equivalent
// (flags.go), a DROVER_* variable that is no setting as a warning
// (UnknownEnv, env.go). Usage renders --help from the same table
// (usage.go).
package config
