// Package drf writes the JSON that Django REST Framework writes: the one
// encoder of JSON strings, the one writer of JSON responses and the error
// details that both the handler chain (package app) and the API (package
// app/api) answer with. It is internal so that neither package has to
// export these helpers.
//
// It runs wherever app runs (worker processes and `drover dev`), keeps no
// state, starts no goroutines and handles no signals.
package drf
