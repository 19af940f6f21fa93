package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeRSAPair writes key's PKCS#8 private key and pub's PKIX public key
// as PEM files at the two paths.
func writeRSAPair(t *testing.T, privPath, pubPath string, key *rsa.PrivateKey, pub *rsa.PublicKey) {
	t.Helper()
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	for path, block := range map[string]*pem.Block{
		privPath: {Type: "PRIVATE KEY", Bytes: privDER},
		pubPath:  {Type: "PUBLIC KEY", Bytes: pubDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHUPWithBadKeyPairIsRefused: a HUP onto a key pair every new worker
// would fail on is refused by the supervisor, before any worker starts;
// the running generation keeps serving, and a good pair reloads again.
func TestHUPWithBadKeyPairIsRefused(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "jwt.pem"), filepath.Join(dir, "jwt.pub")
	good, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeRSAPair(t, priv, pub, good, &good.PublicKey)
	s := serve(t, droverBin, 2, nil, "--log-level", "debug",
		"--jwt-algorithm", "RS256", "--jwt-private-key-file", priv, "--jwt-public-key-file", pub)
	before := s.waitWorkers(2, 5*time.Second)

	// The public key no longer belongs to the private key.
	writeRSAPair(t, priv, pub, good, &other.PublicKey)
	mark := s.mark()
	s.signal(syscall.SIGHUP)
	refused := s.waitLog(10*time.Second, mark, 1, msgIs("reload refused: the configuration is invalid; the running workers keep serving"))[0]
	if e, _ := refused.fields["error"].(string); !strings.Contains(e, "jwt-private-key-file") || !strings.Contains(e, "public key does not belong to the private key") {
		t.Errorf("reload refused with %q, want it to name jwt-private-key-file and the mismatch", e)
	}
	// The refusal is logged by the loop before it could spawn: every line
	// a new worker would cause has been logged by now, or never is.
	s.mu.Lock()
	for _, l := range s.logs[mark:] {
		if m := l.msg(); m == "worker started" || strings.HasPrefix(m, "reload abandoned") || strings.HasPrefix(m, "reloading:") {
			t.Errorf("after a refused reload the supervisor logged %q", l.text)
		}
	}
	s.mu.Unlock()
	after := s.waitWorkers(2, 5*time.Second)
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("workers changed after a refused reload: %v → %v", before, after)
	}
	// Served by the API of the old generation: it wants a token.
	if status, body := get(t, client(), s.url+"/hello/"); status != http.StatusUnauthorized {
		t.Errorf("GET /hello/ after a refused reload = %d %s, want the API's 401", status, body)
	}

	// A good pair again: the next HUP reloads.
	writeRSAPair(t, priv, pub, other, &other.PublicKey)
	mark = s.mark()
	s.signal(syscall.SIGHUP)
	s.waitLog(15*time.Second, mark, 1, msgIs("reload complete"))
}
