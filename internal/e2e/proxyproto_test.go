package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startStreamNginx runs a real nginx with the repository's
// nginx/drover-proxy-protocol.conf (a stream pass-through with
// proxy_protocol on), rendered to listen on a free loopback port and pass
// to upstream. It returns the address nginx listens on.
func startStreamNginx(t *testing.T, upstream string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	info, err := exec.Command(bin, "-V").CombinedOutput()
	if err != nil {
		if testing.Short() {
			t.Skip("nginx not installed")
		}
		t.Fatalf("nginx not installed (make deps installs Debian's nginx package): %v", err)
	}
	loadModule := ""
	if strings.Contains(string(info), "--with-stream=dynamic") {
		dir := "/usr/lib/nginx/modules"
		if m := regexp.MustCompile(`--modules-path=(\S+)`).FindSubmatch(info); m != nil {
			dir = string(m[1])
		}
		module := filepath.Join(dir, "ngx_stream_module.so")
		if _, err := os.Stat(module); err != nil {
			t.Fatalf("nginx's stream module is missing (make deps installs libnginx-mod-stream): %v", err)
		}
		loadModule = "load_module " + module + ";"
	} else if !strings.Contains(string(info), "--with-stream") {
		t.Fatal("this nginx is built without the stream module")
	}

	dir := t.TempDir()
	port := freePort(t)
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(repo, "nginx", "drover-proxy-protocol.conf"))
	if err != nil {
		t.Fatal(err)
	}
	replacements := []string{
		"listen 443;", fmt.Sprintf("listen 127.0.0.1:%d;", port),
		"listen [::]:443;", "",
		"proxy_pass 127.0.0.1:8443;", "proxy_pass " + upstream + ";",
	}
	for i := 0; i < len(replacements); i += 2 {
		if !strings.Contains(string(conf), replacements[i]) {
			t.Fatalf("nginx/drover-proxy-protocol.conf no longer has %q: update this test", replacements[i])
		}
	}
	rendered := strings.NewReplacer(replacements...).Replace(string(conf))
	if err := os.WriteFile(filepath.Join(dir, "stream.conf"), []byte(rendered), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
include %[2]s/stream.conf;
`, loadModule, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", dir, "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	p := start(t, bin, nil, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen within 10s: %v\n%s", err, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accessLogHas reports whether any JSON line of the access log has
// remote_addr addr.
func accessLogHas(t *testing.T, file, addr string) bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["remote_addr"] == addr {
			return true
		}
	}
	return false
}

// TestNginxStreamProxyProtocol runs drover with --proxy-protocol and TLS of
// its own behind the real nginx running nginx/drover-proxy-protocol.conf:
// nginx passes TLS through and names the client in a PROXY header.
func TestNginxStreamProxyProtocol(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	accessLog := filepath.Join(dir, "access.log")
	d := serve(t, droverBin, 2, nil, "--proxy-protocol", "--forwarded-allow-ips", "127.0.0.1",
		"--certfile", cert, "--keyfile", key, "--access-logfile", accessLog)
	viaNginx := "https://" + startStreamNginx(t, d.addr)

	getFrom := func(t *testing.T, source, url string, header map[string]string) {
		t.Helper()
		req, err := http.NewRequest("GET", url+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := clientFrom(source).Do(req)
		if err != nil {
			t.Fatalf("GET %s from %s: %v", url, source, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s from %s = %d", url, source, resp.StatusCode)
		}
	}

	t.Run("the client through nginx is the header's source", func(t *testing.T) {
		// The header names 127.0.0.2, not a trusted proxy: its
		// X-Forwarded-For is not believed.
		getFrom(t, "127.0.0.2", viaNginx, map[string]string{"X-Request-ID": "pp-via-nginx", "X-Forwarded-For": "203.0.113.7"})
		if got := accessLine(t, accessLog, "pp-via-nginx")["remote_addr"]; got != "127.0.0.2" {
			t.Errorf("drover saw the client through nginx as %v, want 127.0.0.2", got)
		}
	})
	t.Run("a forged header from an untrusted peer is refused", func(t *testing.T) {
		mark := d.mark()
		dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}, Timeout: 5 * time.Second}
		c, err := dialer.Dial("tcp", d.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprintf(c, "PROXY TCP4 203.0.113.9 %s 4711 443\r\n", strings.Split(d.addr, ":")[0]); err != nil {
			t.Fatal(err)
		}
		if err := tls.Client(c, &tls.Config{InsecureSkipVerify: true}).Handshake(); err == nil {
			t.Fatal("drover completed a TLS handshake after a forged PROXY header")
		}
		d.waitLog(5*time.Second, mark, 1, func(l logLine) bool {
			peer, _ := l.fields["peer"].(string)
			return strings.Contains(l.msg(), "PROXY protocol header from a peer not in --forwarded-allow-ips") &&
				strings.HasPrefix(peer, "127.0.0.3:")
		})
	})
	t.Run("a trusted peer without a header is served as itself", func(t *testing.T) {
		getFrom(t, "127.0.0.1", "https://"+d.addr, map[string]string{"X-Request-ID": "pp-direct"})
		if got := accessLine(t, accessLog, "pp-direct")["remote_addr"]; got != "127.0.0.1" {
			t.Errorf("a direct trusted client was logged as %v, want 127.0.0.1", got)
		}
	})
	t.Run("load through nginx: no errors", func(t *testing.T) {
		res := loadWith(viaNginx+"/healthz", 4, time.Second, nil, func() *http.Client { return clientFrom("127.0.0.2") })
		res.check(t, 50)
	})
	if accessLogHas(t, accessLog, "203.0.113.9") || accessLogHas(t, accessLog, "203.0.113.7") {
		t.Error("drover logged a request as coming from a forged address")
	}
}
