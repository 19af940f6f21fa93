package proto

// The process boundary between supervisor and worker: an environment
// variable marks the role, and descriptors sit at fixed positions.
const (
	// EnvRole is set to RoleWorker in the environment of every worker.
	EnvRole = "DROVER_ROLE"
	// RoleWorker is EnvRole's value in a worker process.
	RoleWorker = "worker"
	// EnvListeners names the inherited listeners and their roles, one
	// entry per descriptor from FDFirstListener on, in the format of
	// package sockets: "app=127.0.0.1:8000,redirect=0.0.0.0:80".
	EnvListeners = "DROVER_LISTENERS"
	// FDChannel is the worker's end of the report socketpair.
	FDChannel = 3
	// FDFirstListener is the first inherited listener; the others follow
	// in EnvListeners's order (--bind's, then --http-redirect's).
	FDFirstListener = 4
)
