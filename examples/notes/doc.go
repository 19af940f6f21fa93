// Command notes is an example program built on drover: a small JSON API
// in the shape of Django REST Framework's tutorial, served by drover's
// supervisor and workers, with drover's token authentication.
//
//	GET    /notes/       the newest notes, at most --notes-page-size (anyone)
//	POST   /notes/       create a note (an authenticated user, its owner)
//	GET    /notes/{id}/  one note (anyone)
//	PUT    /notes/{id}/  write a note's title, and its body if given (its owner)
//	PATCH  /notes/{id}/  change some of them (its owner)
//	DELETE /notes/{id}/  delete it (its owner)
//	POST   /api/token/   log in: simplejwt's access and refresh tokens,
//	                     which carry the custom "username" claim
//
// The notes are in their own SQLite file, notes.db in the state directory,
// which every worker process opens. Run it as drover runs:
//
//	go build -o notes . && ./notes createuser alice && ./notes dev
//	./notes serve -w 4 --notes-page-size 20
//
// # Processes
//
// notes is drover's processes: under serve, a supervisor and its workers;
// under dev, one process. The program's code runs in each worker (and in
// dev): routes opens notes.db and registers the handlers before the
// worker serves, and the database is closed (App.OnClose) after the
// worker has drained. Signals are drover's: TERM and INT stop gracefully,
// HUP starts new workers (which open the file again) before the old ones
// drain; notes handles none itself.
//
// Its tests (notes_test.go) build this binary and run it as a person
// would: serve, dev, check, help and createuser.
package main
