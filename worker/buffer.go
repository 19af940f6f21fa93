package worker

import (
	"io"
	"net/http"

	"golang.org/x/sync/semaphore"
)

// Buffering sizes: what one worker holds of request bodies at once, and
// the piece it reserves and reads at a time.
const (
	// bufferBudget is the most memory one worker spends on request bodies
	// read ahead of their handler, all requests together: sixteen bodies
	// of the default 1 MiB --limit-request-body, or thousands of the
	// small bodies an API gets.
	bufferBudget = 16 << 20
	// bufferChunk is how much of the budget a body reserves at a time,
	// so a slow upload holds what it has sent and one chunk more, not its
	// whole Content-Length.
	bufferChunk = 32 << 10
)

// bodyBuffer reads a request's body into memory before the request takes
// one of the worker's slots (see limiter), as nginx's request buffering
// does: a client that uploads slowly then holds a connection and a
// goroutine, not the worker. The handler reads the same bytes, and the
// same error at their end, as it would have read from the connection.
//
// The body is read until it ends or fails. The chain has bounded it
// already (--limit-request-body: a larger Content-Length was answered
// 413, a chunked body fails past the limit with *http.MaxBytesError), and
// the read timeout bounds how long it may take. Memory is bounded across
// requests by the budget: when a body cannot reserve its next chunk, the
// buffering stops and the handler reads what was buffered, then the rest
// from the connection, as it would without buffering. A body sent with
// "Expect: 100-continue" gets its 100 Continue before the handler runs,
// as behind nginx.
type bodyBuffer struct {
	budget *semaphore.Weighted
	chunk  int64
}

func newBodyBuffer(budget, chunk int64) *bodyBuffer {
	return &bodyBuffer{budget: semaphore.NewWeighted(budget), chunk: chunk}
}

// read buffers r's body and returns a request that replays it, and a
// function that returns the body's memory to the budget once the handler
// is done with it. r itself is not changed.
func (b *bodyBuffer) read(r *http.Request) (*http.Request, func()) {
	if r.Body == nil || r.Body == http.NoBody {
		return r, func() {}
	}
	bb := &bufferedBody{src: r.Body}
	for bb.err == nil {
		size := b.chunk
		if r.ContentLength >= 0 {
			// One byte past the declared length, to read the body's end
			// (and a byte at a time past it from a body that is longer).
			size = min(size, max(r.ContentLength-bb.n, 0)+1)
		}
		if !b.budget.TryAcquire(size) {
			break // over budget: the handler reads on from the connection
		}
		bb.held += size
		p := make([]byte, size)
		n := 0
		for n < len(p) && bb.err == nil {
			var m int
			m, bb.err = bb.src.Read(p[n:])
			n += m
		}
		bb.n += int64(n)
		if n > 0 {
			bb.chunks = append(bb.chunks, p[:n])
		}
	}
	held := bb.held
	release := func() { b.budget.Release(held) }
	if held == 0 {
		release = func() {}
	}
	r2 := *r // a shallow copy, so the caller's request keeps its own Body
	r2.Body = bb
	return &r2, release
}

// bufferedBody replays a body read ahead: the buffered chunks, then
// either the error that ended the reading or, when the buffering stopped
// early, the rest of the body itself.
type bufferedBody struct {
	chunks [][]byte
	n      int64         // bytes buffered
	held   int64         // budget reserved for them
	err    error         // what ended the buffering (io.EOF, a read error); nil: stopped early
	src    io.ReadCloser // the request's own body
}

func (bb *bufferedBody) Read(p []byte) (int, error) {
	for len(bb.chunks) > 0 {
		n := copy(p, bb.chunks[0])
		if bb.chunks[0] = bb.chunks[0][n:]; len(bb.chunks[0]) == 0 {
			bb.chunks = bb.chunks[1:]
		}
		if n > 0 || len(p) == 0 {
			return n, nil
		}
	}
	if bb.err != nil {
		return 0, bb.err
	}
	return bb.src.Read(p)
}

// Close closes the request's own body, as net/http expects of a
// handler's replacement.
func (bb *bufferedBody) Close() error { return bb.src.Close() }
