package e2e

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// servedCert returns the certificate a TLS server at addr presents.
func servedCert(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // the test's own self-signed certificates
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

func TestTLSServesAndReloadsCertificateOnHUP(t *testing.T) {
	dir := t.TempDir()
	certA, keyA := writeSelfSigned(t, filepath.Join(dir))
	s := serve(t, droverBin, 2, nil, "--certfile", certA, "--keyfile", keyA)
	first := servedCert(t, s.addr)

	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	resp, err := c.Get("https://" + s.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Errorf("GET https://…/healthz = %d over HTTP/%d, want 200 over HTTP/2", resp.StatusCode, resp.ProtoMajor)
	}

	// Renewal: new files in place, HUP, new workers serve the new certificate.
	renewed := filepath.Join(dir, "renewed")
	if err := os.MkdirAll(renewed, 0o700); err != nil {
		t.Fatal(err)
	}
	certB, keyB := writeSelfSigned(t, renewed)
	for from, to := range map[string]string{certB: certA, keyB: keyA} {
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
	}
	mark := s.mark()
	s.signal(syscall.SIGHUP)
	s.waitLog(10*time.Second, mark, 1, msgIs("reload complete"))
	s.waitWorkers(2, 10*time.Second)
	if bytes.Equal(servedCert(t, s.addr), first) {
		t.Error("after a HUP the old certificate is still served")
	}

	// A broken renewal is refused; the workers keep serving.
	if err := os.WriteFile(certA, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	mark = s.mark()
	s.signal(syscall.SIGHUP)
	refused := s.waitLog(5*time.Second, mark, 1, msgIs("reload refused: the configuration is invalid; the running workers keep serving"))[0]
	if !strings.Contains(refused.text, "certfile") {
		t.Errorf("refusal %s does not name certfile", refused.text)
	}
	servedCert(t, s.addr)
}

func TestTLSNeedsBothFiles(t *testing.T) {
	out, code := runDrover(t, "serve", "--certfile", "/nonexistent.pem")
	if code != 1 || !strings.Contains(out, "invalid --certfile: certfile and keyfile go together") {
		t.Errorf("serve --certfile alone: exit %d, %q", code, out)
	}
}
