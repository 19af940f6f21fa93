// Package statedir names every path drover keeps in its state directory
// (--state-dir: $STATE_DIRECTORY under systemd, else ./var), and which of
// them the workers' user must own. It is the one place the layout is
// spelled: the supervisor, the workers, drover dev and the admin commands
// all find their files through a [Dir].
//
// Layout:
//
//	drover.db, drover.db-wal, drover.db-shm, drover.db-journal
//	                  the SQLite store (auth.SQLiteStore)
//	hash-slots/       one flock(2)ed file per concurrent password hash,
//	                  shared by every worker of the host
//	certmagic/        --tls-auto's ACME account, certificates, challenge
//	                  tokens and locks, shared by every worker
//	dev-secret.key    the signing key drover dev generates when none is set
package statedir
