// Command testapp is a drover program with its own http.Handler, built by
// the integration tests to prove embedding and to misbehave on demand:
//
//	GET /pid           the worker's PID
//	GET /sleep?d=500ms answer after d
//	GET /panic         panic in the handler
//	GET /exit          exit the worker process (status 7)
//	GET /hang          block forever, ignoring the client
//	GET /alloc?mb=N    allocate, touch and keep N MiB (resident), answering
//	                   "kept N MiB more in PID"
//	GET /big?mb=N      answer N MiB of bytes
//	POST /upload       read the whole body, answer its length
//	GET /hello/        drover's demo route
//
// If the file named by TESTAPP_FAIL_BOOT_FILE exists, building the handler
// fails, so the worker fails to boot.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/app/api"
	"github.com/drover/drover/cli"
)

func main() {
	os.Exit(cli.Main(cli.Program{Name: "testapp", Handler: build}))
}

func build(log *zap.Logger) (http.Handler, error) {
	if f := os.Getenv("TESTAPP_FAIL_BOOT_FILE"); f != "" {
		if _, err := os.Stat(f); err == nil {
			return nil, errors.New("TESTAPP_FAIL_BOOT_FILE exists: refusing to boot")
		}
	}
	var (
		mu   sync.Mutex
		kept [][]byte
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})
	mux.HandleFunc("GET /sleep", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, "bad d", http.StatusBadRequest)
			return
		}
		log.Info("testapp sleeping", zap.Duration("sleep_s", d))
		time.Sleep(d)
		fmt.Fprintf(w, "slept %s in %d\n", d, os.Getpid())
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("testapp: deliberate panic")
	})
	mux.HandleFunc("GET /panic-after-status", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, "partial")
		panic("testapp: panic after a status")
	})
	mux.HandleFunc("GET /exit", func(w http.ResponseWriter, r *http.Request) {
		log.Warn("testapp: exiting on request")
		os.Exit(7)
	})
	mux.HandleFunc("GET /hang", func(w http.ResponseWriter, r *http.Request) {
		select {}
	})
	mux.HandleFunc("GET /alloc", func(w http.ResponseWriter, r *http.Request) {
		mb, err := strconv.Atoi(r.URL.Query().Get("mb"))
		if err != nil || mb < 0 || mb > 1024 {
			http.Error(w, "bad mb", http.StatusBadRequest)
			return
		}
		b := make([]byte, mb<<20)
		for i := range b {
			b[i] = byte(i)
		}
		mu.Lock()
		kept = append(kept, b)
		mu.Unlock()
		fmt.Fprintf(w, "kept %d MiB more in %d\n", mb, os.Getpid())
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		mb, err := strconv.Atoi(r.URL.Query().Get("mb"))
		if err != nil || mb < 0 || mb > 1024 {
			http.Error(w, "bad mb", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(mb<<20))
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range mb {
			if _, err := w.Write(chunk); err != nil {
				return // the client went away, or the write timed out
			}
		}
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "read %d bytes in %d\n", n, os.Getpid())
	})
	mux.Handle("/hello/", api.Routes())
	return mux, nil
}
