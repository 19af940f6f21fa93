package proto

// The process boundary between supervisor and worker: an environment
// variable marks the role, and descriptors sit at fixed positions.
const (
	// EnvRole is set to RoleWorker in the environment of every worker.
	EnvRole = "DROVER_ROLE"
	// RoleWorker is EnvRole's value in a worker process.
	RoleWorker = "worker"
	// EnvListeners holds the number of inherited listeners.
	EnvListeners = "DROVER_LISTENERS"
	// FDChannel is the worker's end of the report socketpair.
	FDChannel = 3
	// FDFirstListener is the first inherited listener; the others follow
	// in --bind order.
	FDFirstListener = 4
)
