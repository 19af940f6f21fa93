package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// acmeDomain is the name the ACME tests manage. certmagic refuses names it
// deems non-public (localhost, *.local, IPs); pebble-challtestsrv resolves
// every name to 127.0.0.1 for pebble.
const acmeDomain = "api.drover.test"

// tool is a helper process (pebble, pebble-challtestsrv) with its output
// kept for assertions; it is killed when the test ends.
type tool struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func (p *tool) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *tool) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// startTool runs bin with args, env added to the test's environment.
func startTool(t *testing.T, bin string, env []string, args ...string) *tool {
	t.Helper()
	p := &tool{cmd: exec.Command(bin, args...)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(bin), p.output())
		}
	})
	return p
}

// buildPebble builds pebble and pebble-challtestsrv (tools of go.mod, so
// from the module cache) into dir.
func buildPebble(t *testing.T, dir string) (pebble, challtestsrv string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator),
		"github.com/letsencrypt/pebble/v2/cmd/pebble", "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build pebble: %v\n%s", err, out)
	}
	return filepath.Join(dir, "pebble"), filepath.Join(dir, "pebble-challtestsrv")
}

// acmeServer is a running pebble with its DNS server.
type acmeServer struct {
	*tool
	dirURL string
	root   *x509.Certificate // pebble's root, which issues drover's certificate
}

// startPebble runs pebble-challtestsrv as a DNS server answering 127.0.0.1
// for every name, and pebble validating TLS-ALPN-01 on tlsPort and HTTP-01
// on httpPort, with caCert/caKey as pebble's own HTTPS certificate.
func startPebble(t *testing.T, dir string, tlsPort, httpPort int, caCert, caKey string) *acmeServer {
	t.Helper()
	pebbleBin, dnsBin := buildPebble(t, dir)
	loopback := func() string { return "127.0.0.1:" + strconv.Itoa(freePort(t)) }
	dns := loopback()
	startTool(t, dnsBin, nil, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dnsserver", dns,
		"-management", loopback(), "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "")

	listen, management := loopback(), loopback()
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress":           listen,
		"managementListenAddress": management,
		"certificate":             caCert,
		"privateKey":              caKey,
		"httpPort":                httpPort,
		"tlsPort":                 tlsPort,
		"keyAlgorithm":            "ecdsa",
	}}
	data, err := json.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	confFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startTool(t, pebbleBin, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"},
		"-config", confFile, "-dnsserver", dns)

	pem, err := os.ReadFile(caCert)
	if err != nil {
		t.Fatal(err)
	}
	trust := x509.NewCertPool()
	trust.AppendCertsFromPEM(pem)
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust}}}
	defer c.CloseIdleConnections()
	dirURL := "https://" + listen + "/dir"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.Get(dirURL)
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not answer %s within 10s: %v", dirURL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &acmeServer{tool: p, dirURL: dirURL, root: fetchRoot(t, c, "https://"+management+"/roots/0")}
}

// fetchRoot reads pebble's root certificate from its management interface.
func fetchRoot(t *testing.T, c *http.Client, url string) *x509.Certificate {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(body)
	if resp.StatusCode != http.StatusOK || block == nil {
		t.Fatalf("GET %s = %d %q, want a PEM certificate", url, resp.StatusCode, body)
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// issued counts the certificates pebble has issued.
func (a *acmeServer) issued() int {
	return strings.Count(a.output(), "Issued certificate serial")
}

// acmeHandshake dials addr with SNI acmeDomain and verifies the chain
// against root: the certificate it returns is pebble's, for the domain.
func acmeHandshake(addr string, root *x509.Certificate) (*tls.ConnectionState, error) {
	roots := x509.NewCertPool()
	roots.AddCert(root)
	d := &net.Dialer{Timeout: 2 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{ServerName: acmeDomain, RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	state := c.ConnectionState()
	return &state, nil
}

// waitACMECertificate polls until drover at addr completes a verified
// handshake for acmeDomain.
func waitACMECertificate(t *testing.T, addr string, root *x509.Certificate, timeout time.Duration) *tls.ConnectionState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		state, err := acmeHandshake(addr, root)
		if err == nil {
			return state
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verified certificate for %s at %s within %s: %v", acmeDomain, addr, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// loadedBy matches the "certificate loaded" lines of generation gen's
// workers.
func loadedBy(gen int) func(logLine) bool {
	return func(l logLine) bool {
		return l.msg() == "certificate loaded" && l.int("generation") == gen
	}
}

// before reports whether line a was logged before line b.
func (p *proc) before(a, b logLine) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.logs {
		switch l.text {
		case a.text:
			return true
		case b.text:
			return false
		}
	}
	return false
}

// checkServes makes new connections to addr, each of which must present
// want, verified against root.
func checkServes(t *testing.T, addr string, root, want *x509.Certificate) {
	t.Helper()
	for range 8 {
		st, err := acmeHandshake(addr, root)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if got := st.PeerCertificates[0]; !got.Equal(want) {
			t.Fatalf("served serial %s, want %s", got.SerialNumber, want.SerialNumber)
		}
	}
}

func TestTLSAutoObtainsCertificateFromACMEServer(t *testing.T) {
	dir := t.TempDir()
	caCert, caKey := writeSelfSigned(t, dir)
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	acme := startPebble(t, dir, port, freePort(t), caCert, caKey)

	// The roots drover trusts for pebble's HTTPS, in a file of their own
	// so the test can break it later.
	caRoot := filepath.Join(dir, "ca-root.pem")
	pemBytes, err := os.ReadFile(caCert)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caRoot, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	p := start(t, droverBin, nil, "serve", "--bind", addr, "--workers", "2", "--state-dir", state,
		"--tls-auto", acmeDomain, "--tls-auto-ca", acme.dirURL, "--tls-auto-ca-root", caRoot)
	s := &server{proc: p, addr: addr, url: "https://" + addr}
	s.waitLog(10*time.Second, 0, 2, supervisorReady)

	// Obtained: the chain verifies against pebble's root, for the domain.
	got := waitACMECertificate(t, addr, acme.root, 20*time.Second)
	leaf := got.PeerCertificates[0]
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != acmeDomain {
		t.Errorf("certificate names %v, want [%s]", leaf.DNSNames, acmeDomain)
	}
	chain := got.VerifiedChains[0]
	if !chain[len(chain)-1].Equal(acme.root) {
		t.Errorf("certificate chains to %q, want pebble's root %q", chain[len(chain)-1].Subject, acme.root.Subject)
	}
	if got.NegotiatedProtocol != "h2" {
		t.Errorf("negotiated protocol %q, want h2", got.NegotiatedProtocol)
	}
	for _, ext := range []string{".crt", ".key"} {
		files, _ := filepath.Glob(filepath.Join(state, "certmagic", "certificates", "*", acmeDomain, acmeDomain+ext))
		if len(files) != 1 {
			t.Errorf("%s files under %s/certmagic: %v, want one", ext, state, files)
		}
	}
	// Both workers serve it: the one that lost the lock loads what the
	// other obtained (certmagic polls the lock every second).
	s.waitLog(5*time.Second, 0, 2, loadedBy(1))
	checkServes(t, addr, acme.root, leaf)
	if n := acme.issued(); n != 1 {
		t.Errorf("pebble issued %d certificates, want 1 (one order for two workers)", n)
	}

	// HUP: each new worker has the certificate from storage before it
	// reports ready; no new order.
	mark := s.mark()
	s.signal(syscall.SIGHUP)
	s.waitLog(10*time.Second, mark, 1, msgIs("reload complete"))
	for _, ready := range s.waitLog(time.Second, mark, 2, supervisorReady) {
		pid := ready.int("worker_pid")
		loaded := s.waitLog(time.Second, mark, 1, func(l logLine) bool { return loadedBy(2)(l) && l.int("worker_pid") == pid })[0]
		if !s.before(loaded, ready) {
			t.Errorf("worker %d reported ready before it loaded the certificate", pid)
		}
	}
	s.waitWorkers(2, 10*time.Second) // the old generation is gone
	checkServes(t, addr, acme.root, leaf)
	if n := acme.issued(); n != 1 {
		t.Errorf("after HUP pebble issued %d certificates, want still 1", n)
	}

	// A broken CA root file refuses the reload; the workers keep serving.
	if err := os.WriteFile(caRoot, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	mark = s.mark()
	s.signal(syscall.SIGHUP)
	refused := s.waitLog(5*time.Second, mark, 1, msgIs("reload refused: the configuration is invalid; the running workers keep serving"))[0]
	if !strings.Contains(refused.text, "tls-auto-ca-root") {
		t.Errorf("refusal %s does not name tls-auto-ca-root", refused.text)
	}
	if _, err := acmeHandshake(addr, acme.root); err != nil {
		t.Errorf("handshake after a refused reload: %v", err)
	}
}

func TestTLSAutoRefusesUnreadableCARoot(t *testing.T) {
	out, code := runDrover(t, "serve", "--bind", "127.0.0.1:0", "--tls-auto", acmeDomain, "--tls-auto-ca-root", "/nonexistent/ca.pem")
	want := "drover: invalid tls-auto-ca-root: open /nonexistent/ca.pem: no such file or directory\n"
	if code != 1 || out != want {
		t.Errorf("serve with an unreadable --tls-auto-ca-root: exit %d, %q; want exit 1, %q", code, out, want)
	}
}

// TestTLSAutoHTTP01OnTheRedirectSocket: with --http-redirect and only
// HTTP-01 allowed, the CA's plain-HTTP validation reaches a worker on the
// redirect socket, which answers it from the shared storage; every other
// plain request is redirected to HTTPS.
func TestTLSAutoHTTP01OnTheRedirectSocket(t *testing.T) {
	dir := t.TempDir()
	caCert, caKey := writeSelfSigned(t, dir)
	port, redirectPort := freePort(t), freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	acme := startPebble(t, dir, freePort(t), redirectPort, caCert, caKey) // TLS-ALPN-01 would go nowhere
	p := start(t, droverBin, nil, "serve", "--bind", addr, "--workers", "2", "--state-dir", t.TempDir(),
		"--tls-auto", acmeDomain, "--tls-auto-ca", acme.dirURL, "--tls-auto-ca-root", caCert,
		"--tls-auto-challenge", "http-01", "--http-redirect", "127.0.0.1:"+strconv.Itoa(redirectPort))
	p.waitLog(10*time.Second, 0, 2, supervisorReady)

	got := waitACMECertificate(t, addr, acme.root, 20*time.Second)
	if names := got.PeerCertificates[0].DNSNames; len(names) != 1 || names[0] != acmeDomain {
		t.Errorf("certificate names %v, want [%s]", names, acmeDomain)
	}
	if out := acme.output(); !strings.Contains(out, "Attempting to validate w/ HTTP: http://"+acmeDomain+":"+strconv.Itoa(redirectPort)+"/.well-known/acme-challenge/") || strings.Contains(out, "TLS-ALPN") {
		t.Errorf("pebble's log does not show an HTTP-01 validation alone:\n%s", acme.output())
	}

	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", "http://127.0.0.1:"+strconv.Itoa(redirectPort)+"/api/token/?next=1", strings.NewReader("{}"))
	req.Host = acmeDomain
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "https://" + acmeDomain + ":" + strconv.Itoa(port) + "/api/token/?next=1"
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("plain POST = %d Location %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}
