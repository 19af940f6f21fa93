package dev

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/drover/drover/internal/stacktrace"
)

// Failure is what the development server shows instead of the application
// while the program cannot run: a failed rebuild under --reload, or a
// program that exited. The same page is served by the running program (a
// failed rebuild keeps the old one serving) and by the reload watcher
// itself (when no program is left to serve it).
type Failure struct {
	// Title is one line saying what failed ("build failed: go build …").
	Title string
	// Output is what the failing step printed: the compiler's errors, or
	// the end of the program's stderr; for a panic, its stack.
	Output string
	// Hint is the line under the output saying what to do; empty for
	// the failed build's.
	Hint string
	// Program is the program's name in the page's title and the failed
	// build's hint ("notes dev"); "" means "drover". WriteFile does not
	// store it: the server showing the page sets it.
	Program string
}

// panicPage is the development server's answer to a panic (app's
// Config.DevErrorPage) in the program called name: the Failure page with
// the panic value as its title and the stack, the program's own frames
// first, as its output.
func panicPage(name string) func(p any, stack []byte) http.Handler {
	hint := fmt.Sprintf("%[1]s dev (development only) shows a panic's stack to the client; %[1]s serve logs it and answers a JSON 500. Fix the handler, rebuild, and reload this page.", name)
	return func(p any, stack []byte) http.Handler {
		return Failure{
			Title:   fmt.Sprintf("panic: %v", p),
			Output:  stacktrace.Readable(string(stack)),
			Hint:    hint,
			Program: name,
		}
	}
}

// ServeHTTP answers with status 500 and the failure: readable HTML for a
// browser (an Accept header that takes text/html), plain text for anything
// else (curl, API clients). Nothing is cached.
func (f Failure) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if f.Program == "" {
		f.Program = "drover"
	}
	var body bytes.Buffer
	if acceptsHTML(r.Header.Values("Accept")) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		// Executing a fixed template on two strings cannot fail but for the
		// writer, and a bytes.Buffer does not fail.
		_ = failurePage.Execute(&body, f)
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(&body, "%s\n\n%s", f.Title, f.Output)
		if !strings.HasSuffix(f.Output, "\n") {
			body.WriteByte('\n')
		}
	}
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(http.StatusInternalServerError)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body.Bytes()) // a failed write means the client left
	}
}

var failurePage = template.Must(template.New("failure").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}} · {{.Program}} dev</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.3rem; color: #a00; }
pre { background: #fff4f4; border: 1px solid #e8c0c0; padding: 1rem; overflow: auto; line-height: 1.4; }
p { color: #555; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<pre>{{.Output}}</pre>
<p>{{if .Hint}}{{.Hint}}{{else}}{{.Program}} dev (development only) shows this page for every request until the next successful build. Fix the error, save, and reload this page.{{end}}</p>
</body>
</html>
`))

// acceptsHTML reports whether an Accept header lists text/html (or
// text/*) with a non-zero quality, as a browser's does.
func acceptsHTML(accept []string) bool {
	for _, header := range accept {
		for _, item := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(item))
			if err != nil || (mt != "text/html" && mt != "text/*") {
				continue
			}
			if q, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// WriteFile stores f at path, replacing what was there atomically, for
// ReadFailureFile in another process.
func (f Failure) WriteFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write failure page: %w", err)
	}
	_, err = fmt.Fprintf(tmp, "%s\n%s", strings.ReplaceAll(f.Title, "\n", " "), f.Output)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write failure page: %w", err)
	}
	return nil
}

// ReadFailureFile reads a Failure that WriteFile stored at path; ok is
// false when there is none (no file).
func ReadFailureFile(path string) (f Failure, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Failure{}, false, nil
	}
	if err != nil {
		return Failure{}, false, fmt.Errorf("read failure page: %w", err)
	}
	title, output, _ := strings.Cut(string(data), "\n")
	return Failure{Title: title, Output: output}, true, nil
}

// showFailure answers every request with the Failure stored at path while
// that file exists, naming the program called name, and passes requests
// to next otherwise. The development server handles one request at a
// time, so reading a small file per request costs nothing that matters.
func showFailure(path, name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok, err := ReadFailureFile(path)
		if err != nil {
			f, ok = Failure{Title: "cannot read the build status", Output: err.Error()}, true
		}
		if ok {
			f.Program = name
			f.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
