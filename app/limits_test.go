package app

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestLimits(t *testing.T) {
	small := Config{LimitRequestLine: 40, LimitRequestFields: 4, LimitRequestFieldSize: 32, LimitRequestBody: 16}
	tests := []struct {
		name        string
		giveCfg     Config
		giveTarget  string
		giveHeaders [][2]string
		giveBody    string
		giveChunked bool // body of unknown length
		wantStatus  int
		wantDetail  string // "" = the handler answers
		wantBodyErr bool   // the handler's read fails with *http.MaxBytesError
	}{
		{name: "within", giveCfg: small, giveTarget: "/", wantStatus: 200},
		// "GET " + target + " HTTP/1.1" is 13 bytes plus the target.
		{name: "line at limit", giveCfg: small, giveTarget: "/" + strings.Repeat("a", 26), wantStatus: 200},
		{name: "line over limit", giveCfg: small, giveTarget: "/" + strings.Repeat("a", 27), wantStatus: 414, wantDetail: "Request line is longer than 40 bytes."},
		{name: "default line limit", giveCfg: Config{}, giveTarget: "/" + strings.Repeat("a", 4094), wantStatus: 414, wantDetail: "Request line is longer than 4094 bytes."},
		{name: "line unlimited", giveCfg: Config{LimitRequestLine: -1}, giveTarget: "/" + strings.Repeat("a", 10000), wantStatus: 200},
		// Host counts as a field.
		{name: "fields at limit", giveCfg: small, giveHeaders: [][2]string{{"A", "1"}, {"B", "2"}, {"C", "3"}}, wantStatus: 200},
		{name: "fields over limit", giveCfg: small, giveHeaders: [][2]string{{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}}, wantStatus: 431, wantDetail: "Too many header fields (limit 4)."},
		{name: "repeated field counts each line", giveCfg: small, giveHeaders: [][2]string{{"Cookie", "a=1"}, {"Cookie", "b=2"}, {"Cookie", "c=3"}, {"Cookie", "d=4"}}, wantStatus: 431, wantDetail: "Too many header fields (limit 4)."},
		{name: "Transfer-Encoding counts", giveCfg: small, giveHeaders: [][2]string{{"A", "1"}, {"B", "2"}, {"C", "3"}}, giveChunked: true, giveBody: "x", wantStatus: 431, wantDetail: "Too many header fields (limit 4)."},
		{name: "default field count", giveCfg: Config{}, giveHeaders: manyHeaders(100), wantStatus: 431, wantDetail: "Too many header fields (limit 100)."},
		{name: "fields unlimited", giveCfg: Config{LimitRequestFields: -1}, giveHeaders: manyHeaders(500), wantStatus: 200},
		// A field counts as its line with the CRLF, as in Gunicorn:
		// "X-Big: " and "\r\n" are 9 bytes.
		{name: "field at limit", giveCfg: small, giveHeaders: [][2]string{{"X-Big", strings.Repeat("v", 23)}}, wantStatus: 200},
		{name: "field over limit", giveCfg: small, giveHeaders: [][2]string{{"X-Big", strings.Repeat("v", 24)}}, wantStatus: 431, wantDetail: `Header field "X-Big" is longer than 32 bytes.`},
		{name: "default field size at limit", giveCfg: Config{}, giveHeaders: [][2]string{{"X-Big", strings.Repeat("v", 8190-9)}}, wantStatus: 200},
		{name: "default field size over limit", giveCfg: Config{}, giveHeaders: [][2]string{{"X-Big", strings.Repeat("v", 8190-8)}}, wantStatus: 431, wantDetail: `Header field "X-Big" is longer than 8190 bytes.`},
		// "Host: " and "\r\n" are 8 bytes.
		{name: "Host at limit", giveCfg: Config{LimitRequestFieldSize: 20}, giveHeaders: [][2]string{{"Host", "example.com:"}}, wantStatus: 200},
		{name: "long name not echoed", giveCfg: Config{LimitRequestFieldSize: 100}, giveHeaders: [][2]string{{"X-" + strings.Repeat("n", 98), "v"}}, wantStatus: 431, wantDetail: "A header field is longer than 100 bytes."},
		{name: "Host over limit", giveCfg: Config{LimitRequestFieldSize: 20}, giveHeaders: [][2]string{{"Host", "very-long-host.example.com"}}, wantStatus: 431, wantDetail: `Header field "Host" is longer than 20 bytes.`},
		{name: "body at limit", giveCfg: small, giveBody: strings.Repeat("b", 16), wantStatus: 200},
		{name: "body over limit", giveCfg: small, giveBody: strings.Repeat("b", 17), wantStatus: 413, wantDetail: "Request body is larger than 16 bytes."},
		{name: "default body limit", giveCfg: Config{}, giveBody: strings.Repeat("b", 1<<20+1), wantStatus: 413, wantDetail: "Request body is larger than 1048576 bytes."},
		{name: "chunked body at limit", giveCfg: small, giveBody: strings.Repeat("b", 16), giveChunked: true, wantStatus: 200},
		{name: "chunked body over limit", giveCfg: small, giveBody: strings.Repeat("b", 17), giveChunked: true, wantStatus: 200, wantBodyErr: true},
		{name: "body unlimited", giveCfg: Config{LimitRequestBody: -1}, giveBody: strings.Repeat("b", 1<<20+1), giveChunked: true, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reached, gotBodyErr bool
			h := newLimits(tt.giveCfg.withDefaults()).wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				_, err := io.ReadAll(r.Body)
				var mbe *http.MaxBytesError
				gotBodyErr = errors.As(err, &mbe)
			}))
			target := tt.giveTarget
			if target == "" {
				target = "/"
			}
			body := &countingReader{r: strings.NewReader(tt.giveBody)}
			r := httptest.NewRequest(http.MethodPost, target, body)
			r.Method = http.MethodGet // "GET" keeps the request line arithmetic above
			r.ContentLength = int64(len(tt.giveBody))
			if tt.giveChunked {
				r.ContentLength = -1
				r.TransferEncoding = []string{"chunked"}
			}
			for _, kv := range tt.giveHeaders {
				if kv[0] == "Host" {
					r.Host = kv[1]
					continue
				}
				r.Header.Add(kv[0], kv[1])
			}
			rec := serve(h, r)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if tt.wantDetail == "" {
				if !reached {
					t.Errorf("handler not reached, want it to answer")
				}
				if gotBodyErr != tt.wantBodyErr {
					t.Errorf("handler's body read failed with *http.MaxBytesError = %v, want %v", gotBodyErr, tt.wantBodyErr)
				}
				return
			}
			if reached {
				t.Errorf("handler reached, want the request refused")
			}
			if body.n != 0 {
				t.Errorf("read %d body bytes of a refused request, want 0", body.n)
			}
			wantBody := `{"detail":` + strconv.Quote(tt.wantDetail) + `}`
			if got := rec.Body.String(); got != wantBody {
				t.Errorf("body = %s, want %s", got, wantBody)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := rec.Header().Get("Connection"); got != "close" {
				t.Errorf("Connection = %q, want close", got)
			}
		})
	}
}

func manyHeaders(n int) [][2]string {
	h := make([][2]string, n)
	for i := range h {
		h[i] = [2]string{"X-H" + strconv.Itoa(i), "v"}
	}
	return h
}

func TestMaxHeaderBytes(t *testing.T) {
	tests := []struct {
		name    string
		giveCfg Config
		want    int
	}{
		{name: "defaults", giveCfg: Config{}, want: (4094 + 2) + 100*8190 + 2 + 4096},
		{name: "small", giveCfg: Config{LimitRequestLine: 40, LimitRequestFields: 4, LimitRequestFieldSize: 32}, want: 42 + 4*32 + 2 + 4096},
		{name: "line unlimited", giveCfg: Config{LimitRequestLine: -1}, want: http.DefaultMaxHeaderBytes},
		{name: "fields unlimited", giveCfg: Config{LimitRequestFields: -1}, want: http.DefaultMaxHeaderBytes},
		{name: "field size unlimited", giveCfg: Config{LimitRequestFieldSize: -1}, want: http.DefaultMaxHeaderBytes},
		{name: "absurd", giveCfg: Config{LimitRequestFields: 1 << 40, LimitRequestFieldSize: 1 << 40}, want: 1 << 30},
		{name: "large but sane", giveCfg: Config{LimitRequestFields: 1 << 20}, want: 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaxHeaderBytes(tt.giveCfg); got != tt.want {
				t.Errorf("MaxHeaderBytes(%+v) = %d, want %d", tt.giveCfg, got, tt.want)
			}
		})
	}
}

// TestLimitsOverTheWire checks the limits with net/http's own parser and
// MaxHeaderBytes: within the budget the chain answers JSON, beyond it
// net/http answers plain 431, and refused requests close the connection.
func TestLimitsOverTheWire(t *testing.T) {
	cfg := Config{LimitRequestLine: 64, LimitRequestFields: 4, LimitRequestFieldSize: 64, LimitRequestBody: 16}
	srv := httptest.NewUnstartedServer(Chain(cfg, zap.NewNop(), nil, Routes()))
	srv.Config.MaxHeaderBytes = MaxHeaderBytes(cfg)
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	tests := []struct {
		name        string
		giveRequest string
		wantStatus  int
		wantJSON    bool
	}{
		{name: "within", giveRequest: "GET /hello/ HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 200, wantJSON: true},
		{name: "long line", giveRequest: "GET /hello/" + strings.Repeat("a", 60) + " HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 414, wantJSON: true},
		{name: "too many fields", giveRequest: "GET /hello/ HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", wantStatus: 431, wantJSON: true},
		{name: "big field", giveRequest: "GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("v", 60) + "\r\n\r\n", wantStatus: 431, wantJSON: true},
		// The field line with its CRLF: 7 + 55 + 2 bytes is the limit.
		{name: "field line at the limit", giveRequest: "GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("v", 55) + "\r\n\r\n", wantStatus: 200, wantJSON: true},
		{name: "field line a byte over", giveRequest: "GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("v", 56) + "\r\n\r\n", wantStatus: 431, wantJSON: true},
		{name: "body too large", giveRequest: "POST /hello/ HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n" + strings.Repeat("b", 17), wantStatus: 413, wantJSON: true},
		{name: "beyond MaxHeaderBytes", giveRequest: "GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Huge: " + strings.Repeat("v", MaxHeaderBytes(cfg)+4096) + "\r\n\r\n", wantStatus: 431, wantJSON: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			// Write in the background: net/http may answer before reading it all.
			werr := make(chan error, 1)
			go func() {
				_, err := io.WriteString(conn, tt.giveRequest)
				werr <- err
			}()
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("read response: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Type") == "application/json"; got != tt.wantJSON {
				t.Errorf("Content-Type = %q: JSON = %v, want %v", resp.Header.Get("Content-Type"), got, tt.wantJSON)
			}
			if tt.wantStatus != 200 {
				if !resp.Close {
					t.Errorf("connection kept open after a refused request, want it closed")
				}
				if _, err := br.ReadByte(); err == nil {
					t.Errorf("connection still readable after a refused request, want EOF")
				}
			}
			conn.Close()
			<-werr // the write ends: completed, or failed on the closed connection
		})
	}
}

// FuzzRequestLimits feeds requests parsed by net/http to the chain with small
// limits: it never panics, always answers one of 200, 413, 414, 431 with a
// JSON body, and refuses exactly the requests over a limit.
func FuzzRequestLimits(f *testing.F) {
	f.Add("/hello/", "Name", "value", uint8(1), "", false)
	f.Add("/hello/?q="+strings.Repeat("a", 40), "X", "", uint8(0), "body", true)
	f.Add("/", "Cookie", strings.Repeat("c", 40), uint8(3), strings.Repeat("b", 20), false)
	f.Add("/healthz", "A", "1", uint8(6), strings.Repeat("b", 20), true)
	cfg := Config{LimitRequestLine: 48, LimitRequestFields: 6, LimitRequestFieldSize: 40, LimitRequestBody: 16}
	f.Fuzz(func(t *testing.T, target, name, value string, count uint8, body string, chunked bool) {
		var raw strings.Builder
		raw.WriteString("POST " + target + " HTTP/1.1\r\nHost: h\r\n")
		for range count % 8 {
			raw.WriteString("X-" + name + ": " + value + "\r\n")
		}
		if chunked {
			raw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
			if body != "" {
				raw.WriteString(strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n")
			}
			raw.WriteString("0\r\n\r\n")
		} else {
			raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
		}
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
		if err != nil {
			return // net/http refuses it before any handler
		}
		r.RemoteAddr = "192.0.2.1:1234"

		var reached, bodyErr bool
		h := Chain(cfg, zap.NewNop(), nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached = true
			_, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			bodyErr = errors.As(err, &mbe)
		}))
		rec := serve(h, r)

		lineOver := len("POST")+1+len(target)+1+len("HTTP/1.1") > cfg.LimitRequestLine
		fieldsOver := 2+int(count%8) > cfg.LimitRequestFields
		sizeOver := false
		for k, vv := range r.Header {
			for _, v := range vv {
				sizeOver = sizeOver || len(k)+len(": ")+len(v)+len("\r\n") > cfg.LimitRequestFieldSize
			}
		}
		bodyOver := len(body) > int(cfg.LimitRequestBody)
		var want int
		switch {
		case lineOver:
			want = http.StatusRequestURITooLong
		case fieldsOver || sizeOver:
			want = http.StatusRequestHeaderFieldsTooLarge
		case bodyOver && !chunked:
			want = http.StatusRequestEntityTooLarge
		case r.URL.Path == healthzPath:
			want = http.StatusMethodNotAllowed
		default:
			want = http.StatusOK
		}
		if rec.Code != want {
			t.Fatalf("status = %d, want %d for %q", rec.Code, want, raw.String())
		}
		if want != http.StatusOK && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body %q is not JSON", rec.Body.String())
		}
		if reached != (want == http.StatusOK) {
			t.Fatalf("handler reached = %v for status %d", reached, want)
		}
		if reached && bodyErr != (chunked && bodyOver) {
			t.Fatalf("chunked body of %d bytes: MaxBytesError = %v", len(body), bodyErr)
		}
	})
}
