package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nginx is a real nginx running the repository's nginx/drover.conf,
// rendered with the test's ports, socket and paths.
type nginx struct {
	*proc
	httpURL, httpsURL string
	static            string
	webroot           string // certbot's --webroot, /var/www/html in the site
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeSelfSigned writes a certificate for localhost/127.0.0.1 and its key.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// startNginx renders nginx/drover.conf for socket and runs nginx; as root,
// its workers run as root too, to reach any socket a test makes.
func startNginx(t *testing.T, socket string) *nginx {
	t.Helper()
	user := ""
	if os.Getuid() == 0 {
		user = "root"
	}
	return startNginxAs(t, socket, user)
}

// startNginxAs is startNginx with nginx's workers running as user (nginx's
// "user" directive; empty for nginx's default).
func startNginxAs(t *testing.T, socket, user string) *nginx {
	t.Helper()
	return startNginxUpstream(t, user, "server unix:"+socket+" fail_timeout=0;")
}

// startNginxUpstream is startNginxAs with servers, nginx's lines, in
// place of the shipped site's upstream server (drover's unix socket):
// several drover hosts, say.
func startNginxUpstream(t *testing.T, user, servers string) *nginx {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, statErr := os.Stat(bin); statErr != nil {
			if testing.Short() {
				t.Skip("nginx not installed")
			}
			t.Fatal("nginx not installed: make deps installs Debian's nginx package")
		}
	}
	dir := t.TempDir()
	if user != "" && user != "root" {
		// Workers as another user reach their temp paths and the static
		// files: a directory outside the test's 0700 temp tree.
		var err error
		if dir, err = os.MkdirTemp("", "drover-nginx-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	static, webroot := filepath.Join(dir, "static"), filepath.Join(dir, "webroot")
	for _, d := range []string{static, webroot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cert, key := writeSelfSigned(t, dir)
	httpPort, httpsPort := freePort(t), freePort(t)
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	site, err := os.ReadFile(filepath.Join(repo, "nginx", "drover.conf"))
	if err != nil {
		t.Fatal(err)
	}
	rendered := strings.NewReplacer(
		"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort),
		"listen [::]:80;", "",
		"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", httpsPort),
		"listen [::]:443 ssl http2;", "",
		"server unix:/run/drover.sock fail_timeout=0;", servers,
		"/etc/letsencrypt/live/example.com/fullchain.pem", cert,
		"/etc/letsencrypt/live/example.com/privkey.pem", key,
		"/srv/drover/static/", static+"/",
		"/var/www/html", webroot,
		"include snippets/drover-proxy.conf;", "include "+filepath.Join(repo, "nginx", "snippets", "drover-proxy.conf")+";",
	).Replace(string(site))
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(rendered), 0o644); err != nil {
		t.Fatal(err)
	}
	if user != "" {
		user = "user " + user + ";"
	}
	main := fmt.Sprintf(`%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    include /etc/nginx/mime.types;
    include %[2]s/site.conf;
}
`, user, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", dir, "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	p := start(t, bin, nil, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	n := &nginx{proc: p, static: static, webroot: webroot,
		httpURL:  fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		httpsURL: fmt.Sprintf("https://127.0.0.1:%d", httpsPort)}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", httpsPort))
		if err == nil {
			c.Close()
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen within 10s: %v\n%s", err, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clientFrom is an HTTPS-trusting client whose connections come from
// source (a loopback address), keep-alive on.
func clientFrom(source string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the test's own self-signed certificate
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// accessLine finds drover's access log line for a request ID.
func accessLine(t *testing.T, file, requestID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := os.Open(file)
		if err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var line map[string]any
				if json.Unmarshal(sc.Bytes(), &line) == nil && line["request_id"] == requestID {
					f.Close()
					return line
				}
			}
			f.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log line for request %s", requestID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNginxInFrontOfDrover(t *testing.T) {
	dir := t.TempDir()
	socket := filepath.Join(dir, "drover.sock")
	accessLog := filepath.Join(dir, "access.log")
	droverArgs := []string{"--bind", "unix:" + socket, "--access-logfile", accessLog,
		// Loopback TCP peers are not proxies here; the unix socket (nginx) is.
		"--forwarded-allow-ips", "192.0.2.1"}
	d := serve(t, droverBin, 2, nil, droverArgs...)
	n := startNginx(t, socket)
	c := clientFrom("127.0.0.2")

	get := func(url string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		return resp
	}

	t.Run("client address from nginx, not from the client", func(t *testing.T) {
		resp := get(n.httpsURL+"/healthz", map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "via-nginx"})
		if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" {
			t.Fatalf("GET /healthz via nginx = %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
		if got := accessLine(t, accessLog, "via-nginx")["remote_addr"]; got != "127.0.0.2" {
			t.Errorf("drover saw the client as %v through nginx, want 127.0.0.2 (the forged header must not pass)", got)
		}
	})
	t.Run("direct client forging X-Forwarded-For is not believed", func(t *testing.T) {
		// A second drover bind, TCP, reached without nginx.
		d2 := serve(t, droverBin, 1, nil, "--access-logfile", accessLog, "--forwarded-allow-ips", "192.0.2.1")
		req, _ := http.NewRequest("GET", d2.url+"/healthz", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.Header.Set("X-Request-ID", "direct-forged")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := accessLine(t, accessLog, "direct-forged")["remote_addr"]; got != "127.0.0.2" {
			t.Errorf("drover believed a direct client's X-Forwarded-For: remote_addr %v", got)
		}
	})
	t.Run("static files are nginx's", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(n.static, "app.css"), []byte("body{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		resp := get(n.httpsURL+"/static/app.css", map[string]string{"X-Request-ID": "static-file"})
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
			t.Errorf("GET /static/app.css = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("X-Request-Id") != "" {
			t.Error("the static file went through drover (it carries X-Request-Id)")
		}
	})
	t.Run("plain HTTP redirects to HTTPS", func(t *testing.T) {
		resp := get(n.httpURL+"/hello/?x=1", nil)
		if resp.StatusCode != 301 || !strings.HasPrefix(resp.Header.Get("Location"), "https://") || !strings.HasSuffix(resp.Header.Get("Location"), "/hello/?x=1") {
			t.Errorf("GET http://…/hello/ = %d Location %q, want 301 to https", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("plain HTTP answers certbot's challenges before it redirects", func(t *testing.T) {
		dir := filepath.Join(n.webroot, ".well-known", "acme-challenge")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tok3n"), []byte("tok3n.thumbprint"), 0o644); err != nil {
			t.Fatal(err)
		}
		resp, err := c.Get(n.httpURL + "/.well-known/acme-challenge/tok3n")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "tok3n.thumbprint" || resp.Header.Get("Location") != "" {
			t.Errorf("GET http://…/.well-known/acme-challenge/tok3n = %d %q Location %q, want 200 with the file", resp.StatusCode, body, resp.Header.Get("Location"))
		}
		if resp := get(n.httpURL+"/.well-known/acme-challenge/missing", nil); resp.StatusCode != 404 {
			t.Errorf("GET a missing challenge = %d, want 404 (not a redirect, not drover)", resp.StatusCode)
		}
	})
	t.Run("a login burst is rate limited by nginx", func(t *testing.T) {
		statuses := map[int]int{}
		for range 40 {
			resp, err := c.Post(n.httpsURL+"/api/token/", "application/json", strings.NewReader(`{"username":"x","password":"y"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			statuses[resp.StatusCode]++
		}
		if statuses[429] == 0 || statuses[401] == 0 {
			t.Errorf("40 quick logins got %v, want some 401 (drover) and some 429 (nginx)", statuses)
		}
	})
	t.Run("HUP of drover under load through nginx gives no 5xx", func(t *testing.T) {
		stopLoad := backgroundLoadWith(n.httpsURL+"/healthz", 4, func() *http.Client { return clientFrom("127.0.0.1") })
		time.Sleep(300 * time.Millisecond)
		mark := d.mark()
		d.signal(syscall.SIGHUP)
		d.waitLog(10*time.Second, mark, 1, msgIs("reload complete"))
		d.waitWorkers(2, 10*time.Second)
		time.Sleep(300 * time.Millisecond)
		stopLoad().check(t, 100)
	})
	t.Run("drover down: 502; back: served, with no nginx reload", func(t *testing.T) {
		d.signal(syscall.SIGTERM)
		d.wait(15 * time.Second)
		if resp := get(n.httpsURL+"/healthz", nil); resp.StatusCode != 502 {
			t.Errorf("with drover stopped nginx answered %d, want 502", resp.StatusCode)
		}
		serve(t, droverBin, 2, nil, droverArgs...)
		if resp := get(n.httpsURL+"/healthz", nil); resp.StatusCode != 200 {
			t.Errorf("with drover back nginx answered %d, want 200", resp.StatusCode)
		}
	})
}
