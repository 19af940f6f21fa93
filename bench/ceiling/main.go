// Command ceiling is the benchmark's Go ceiling: a bare net/http server,
// one process, that answers GET /hello/ exactly as drover does
// ({"message":"Hello, World!"}) after the same JWT check with
// golang-jwt/jwt/v5 (HS256 only, exp required, strict base64, token_type
// "access", a positive user_id) and nothing else: no middleware, no store,
// no logging. It is what drover could reach if it did nothing beyond what
// the request needs; bench measures drover against it.
//
//	BENCH_SECRET_KEY=… ceiling --bind 127.0.0.1:9000 --bind unix:/tmp/c.sock
//
// With --reuseport its TCP sockets have SO_REUSEPORT set, so that several
// ceilings can listen on one port and the kernel spreads the connections
// over them: bench --tuning runs two with GOMAXPROCS=1 each beside one
// with GOMAXPROCS=2. Once every socket listens it writes one line,
// "ceiling: serving", to stderr. It runs until INT or TERM; with
// --cpuprofile FILE it writes a CPU profile of the whole run there as it
// exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/golang-jwt/jwt/v5"
)

// claims is simplejwt's payload.
type claims struct {
	TokenType string `json:"token_type"`
	UserID    int64  `json:"user_id"`
	jwt.RegisteredClaims
}

// newHandler is the ceiling's whole application: GET /hello/ with a valid
// HS256 access token signed with key → 200 {"message":"Hello, World!"};
// anything else under /hello/ → 401, other paths → net/http's 404.
func newHandler(key []byte) http.Handler {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithExpirationRequired(),
		jwt.WithStrictDecoding(),
	)
	keyfunc := func(*jwt.Token) (any, error) { return key, nil }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/", func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var c claims
		if ok {
			_, err := parser.ParseWithClaims(tok, &c, keyfunc)
			ok = err == nil && c.TokenType == "access" && c.UserID > 0
		}
		w.Header()["Content-Type"] = []string{"application/json"}
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"detail":"Given token not valid for any token type","code":"token_not_valid"}`)
			return
		}
		_, _ = io.WriteString(w, `{"message":"Hello, World!"}`)
	})
	return mux
}

// binds is the repeatable --bind flag.
type binds []string

func (b *binds) String() string     { return strings.Join(*b, ",") }
func (b *binds) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func run() error {
	var addrs binds
	flag.Var(&addrs, "bind", "HOST:PORT or unix:PATH, repeatable")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	reuseport := flag.Bool("reuseport", false, "set SO_REUSEPORT on the TCP sockets: other ceilings may listen on the same port")
	flag.Parse()
	key := []byte(os.Getenv("BENCH_SECRET_KEY"))
	if len(key) < 32 {
		return errors.New("BENCH_SECRET_KEY must hold at least 32 bytes")
	}
	if len(addrs) == 0 {
		return errors.New("no --bind")
	}

	srv := &http.Server{Handler: newHandler(key)}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, len(addrs))
	for _, a := range addrs {
		network, addr := "tcp", a
		if p, ok := strings.CutPrefix(a, "unix:"); ok {
			network, addr = "unix", p
			_ = os.Remove(p)
		}
		var lc net.ListenConfig
		if *reuseport && network == "tcp" {
			lc.Control = reusePort
		}
		l, err := lc.Listen(ctx, network, addr)
		if err != nil {
			return err
		}
		if network == "unix" {
			// nginx's workers may run as another user.
			if err := os.Chmod(addr, 0o666); err != nil {
				return err
			}
		}
		go func() { errc <- srv.Serve(l) }()
	}
	fmt.Fprintln(os.Stderr, "ceiling: serving")
	select {
	case <-ctx.Done():
		return srv.Close()
	case err := <-errc:
		return err
	}
}
