package e2e

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover/drover/auth"
)

// systemPython is Debian's python3, where python3-jwt and
// python3-cryptography install PyJWT (the PATH python3 may be a pyenv
// shim without them). The packages may still be installing: it waits up
// to three minutes for `import jwt, cryptography` to work, then fails
// the test (skips it under -short).
func systemPython(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	deadline := time.Now().Add(3 * time.Minute)
	for {
		out, err := exec.Command(python, "-c", "import jwt, cryptography").CombinedOutput()
		if err == nil {
			return python
		}
		if testing.Short() {
			t.Skipf("%s cannot import jwt and cryptography: %v %s", python, err, out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s cannot import jwt and cryptography (python3-jwt, python3-cryptography): %v %s", python, err, out)
		}
		time.Sleep(2 * time.Second)
	}
}

// jwksVerifyScript is a third service: it fetches $URL's key set with
// PyJWKClient, picks the key by the token's kid and verifies $TOKEN. It
// prints the kid and the claims as JSON, or fails.
const jwksVerifyScript = `
import json, os, sys
import jwt

token, alg = os.environ["TOKEN"], os.environ["ALG"]
client = jwt.PyJWKClient(os.environ["URL"])
key = client.get_signing_key_from_jwt(token)
claims = jwt.decode(token, key.key, algorithms=[alg])
json.dump({"kid": key.key_id, "claims": claims}, sys.stdout)
`

// verifyWithPyJWKClient verifies token as a third service would, with
// the key set at url, and returns the kid of the key it used and the
// token's user_id.
func verifyWithPyJWKClient(t *testing.T, python, url, alg, token string) (kid string, userID int) {
	t.Helper()
	cmd := exec.Command(python, "-c", jwksVerifyScript)
	cmd.Env = append(os.Environ(), "URL="+url, "ALG="+alg, "TOKEN="+token)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyJWKClient(%s) on %s: %v\n%s", url, token, err, stderr.String())
	}
	var got struct {
		Kid    string
		Claims struct {
			UserID int `json:"user_id"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("PyJWKClient script printed %q: %v", out, err)
	}
	return got.Kid, got.Claims.UserID
}

// writePrivateKey writes a fresh PKCS#8 private key of alg to path and
// returns its PKIX public key, PEM-encoded, and the key's thumbprint.
func writePrivateKey(t *testing.T, alg, path string) (pubPEM []byte, kid string) {
	t.Helper()
	var key crypto.Signer
	var err error
	switch alg {
	case "EdDSA":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if kid, err = auth.Thumbprint(key.Public()); err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), kid
}

// login posts the credentials to /api/token/ and returns the access
// token.
func login(t *testing.T, url, username, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := client().Post(url+"/api/token/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	var pair struct{ Access, Refresh string }
	if err := json.NewDecoder(resp.Body).Decode(&pair); err != nil || resp.StatusCode != http.StatusOK || pair.Access == "" {
		t.Fatalf("login = %d, %+v, %v; want 200 and a pair", resp.StatusCode, pair, err)
	}
	return pair.Access
}

// hello is GET /hello/ with the access token's status.
func hello(t *testing.T, url, access string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/hello/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := client().Do(req)
	if err != nil {
		t.Fatalf("GET /hello/: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// jwksKids fetches the key set at url and returns its kids, in order.
func jwksKids(t *testing.T, url string) []string {
	t.Helper()
	status, body := get(t, client(), url)
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal([]byte(body), &set); err != nil || status != http.StatusOK {
		t.Fatalf("GET %s = %d %s (%v), want 200 and a key set", url, status, body, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// headerKid is the kid of a token's header.
func headerKid(t *testing.T, token string) string {
	t.Helper()
	var h struct{ Kid string }
	seg, _, _ := strings.Cut(token, ".")
	raw, err := base64URL(seg)
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("header of %q: %v", token, err)
	}
	return h.Kid
}

// serveConfigured starts drover serve with one worker and the config
// file file on the users store stateDir, and waits for the worker. The
// harness's DROVER_SECRET_KEY is left out unless env sets its own.
func serveConfigured(t *testing.T, stateDir, file string, env ...string) *server {
	t.Helper()
	unset := "DROVER_SECRET_KEY"
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "DROVER_SECRET_KEY=") }) {
		unset = "" // env's comes last, and the last of duplicates wins
	}
	p := startWithout(t, droverBin, unset, append([]string{"DROVER_STATE_DIR=" + stateDir}, env...),
		"serve", "--bind", "127.0.0.1:0", "--workers", "1", "--config", file)
	listening := p.waitLog(10*time.Second, 0, 1, msgIs("listening"))[0]
	addr, _ := listening.fields["address"].(string)
	p.waitLog(10*time.Second, 0, 1, supervisorReady)
	return &server{proc: p, addr: addr, url: "http://" + addr}
}

// reloadWith rewrites the config file and sends HUP, waiting for the new
// generation.
func reloadWith(t *testing.T, s *server, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	mark := s.mark()
	s.signal(syscall.SIGHUP)
	s.waitLog(15*time.Second, mark, 1, msgIs("reload complete"))
}

// TestJWKSRotation is the whole story for each asymmetric
// algorithm: a third service verifies drover's token through the
// published key set (PyJWKClient), then the key is rotated with a HUP
// (a new private key, the old public key as --jwt-verify-key-file), and
// the old token still verifies, at the third service and at /hello/,
// while new tokens carry the new key's kid.
func TestJWKSRotation(t *testing.T) {
	python := systemPython(t)
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			dir, stateDir := t.TempDir(), t.TempDir()
			admin(t, stateDir, "jwks-password\n", "createuser", "alice")
			keyFile, oldPubFile, file := filepath.Join(dir, "signing.pem"), filepath.Join(dir, "previous.pub.pem"), filepath.Join(dir, "drover.toml")
			oldPub, oldKid := writePrivateKey(t, alg, keyFile)
			config := "jwt_algorithm = \"" + alg + "\"\njwt_private_key_file = \"" + keyFile + "\"\n"
			if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			s := serveConfigured(t, stateDir, file)

			old := login(t, s.url, "alice", "jwks-password")
			if kid := headerKid(t, old); kid != oldKid {
				t.Errorf("token kid = %q, want the key's thumbprint %q", kid, oldKid)
			}
			for _, path := range []string{"/.well-known/jwks.json", "/api/token/jwks/"} {
				if kids := jwksKids(t, s.url+path); !slices.Equal(kids, []string{oldKid}) {
					t.Errorf("GET %s lists %q, want [%s]", path, kids, oldKid)
				}
			}
			if kid, user := verifyWithPyJWKClient(t, python, s.url+"/.well-known/jwks.json", alg, old); kid != oldKid || user == 0 {
				t.Errorf("PyJWKClient verified with kid %q, user %d; want %q and alice", kid, user, oldKid)
			}

			// Rotate: a new signing key, the old one verifying only.
			if err := os.WriteFile(oldPubFile, oldPub, 0o600); err != nil {
				t.Fatal(err)
			}
			_, newKid := writePrivateKey(t, alg, keyFile)
			reloadWith(t, s, file, config+"jwt_verify_key_file = [\""+oldPubFile+"\"]\n")
			deadline := time.Now().Add(10 * time.Second)
			for kids := jwksKids(t, s.url+"/api/token/jwks/"); !slices.Equal(kids, []string{newKid, oldKid}); kids = jwksKids(t, s.url+"/api/token/jwks/") {
				if time.Now().After(deadline) {
					t.Fatalf("after the rotation the key set lists %q, want [%s %s]", kids, newKid, oldKid)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if kids := jwksKids(t, s.url+"/.well-known/jwks.json"); !slices.Equal(kids, []string{newKid, oldKid}) {
				t.Errorf("GET /.well-known/jwks.json lists %q, want [%s %s]", kids, newKid, oldKid)
			}
			if kid, user := verifyWithPyJWKClient(t, python, s.url+"/.well-known/jwks.json", alg, old); kid != oldKid || user == 0 {
				t.Errorf("after the rotation PyJWKClient verified the old token with kid %q, user %d; want %q", kid, user, oldKid)
			}
			if status := hello(t, s.url, old); status != http.StatusOK {
				t.Errorf("GET /hello/ with the old token after the rotation = %d, want 200", status)
			}
			fresh := login(t, s.url, "alice", "jwks-password")
			if kid := headerKid(t, fresh); kid != newKid {
				t.Errorf("a new token's kid = %q, want the new key's %q", kid, newKid)
			}
			if kid, _ := verifyWithPyJWKClient(t, python, s.url+"/api/token/jwks/", alg, fresh); kid != newKid {
				t.Errorf("PyJWKClient verified the new token with kid %q, want %q", kid, newKid)
			}
			if status := hello(t, s.url, fresh); status != http.StatusOK {
				t.Errorf("GET /hello/ with the new token = %d, want 200", status)
			}
		})
	}
}

// TestRotationHS256 rotates the HS256 secret: with the old secret as the
// previous one (a HUP with --secret-key-previous-file in the config file,
// then a restart with DROVER_SECRET_KEY_PREVIOUS), a token signed before
// the rotation still authenticates, and one signed with a secret drover
// never had does not. HS256 publishes no key set.
func TestRotationHS256(t *testing.T) {
	python := systemPython(t)
	dir, stateDir := t.TempDir(), t.TempDir()
	admin(t, stateDir, "hs-password\n", "createuser", "alice")
	oldSecret, newSecret := "old-secret-0123456789abcdef-0123456789", "new-secret-0123456789abcdef-0123456789"
	oldFile, newFile, file := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key"), filepath.Join(dir, "drover.toml")
	for path, secret := range map[string]string{oldFile: oldSecret, newFile: newSecret} {
		if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, []byte("secret_key_file = \""+oldFile+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serveConfigured(t, stateDir, file)
	old := login(t, s.url, "alice", "hs-password")
	if kid := headerKid(t, old); kid != "" {
		t.Errorf("HS256 token has kid %q, want simplejwt's header without one", kid)
	}
	for _, path := range []string{"/.well-known/jwks.json", "/api/token/jwks/"} {
		if status, body := get(t, client(), s.url+path); status != http.StatusNotFound {
			t.Errorf("GET %s with HS256 = %d %s, want 404", path, status, body)
		}
	}
	forged := forgeHS256(t, python, "unrelated-secret-0123456789abcdef-0123", old)

	reloadWith(t, s, file, "secret_key_file = \""+newFile+"\"\nsecret_key_previous_file = \""+oldFile+"\"\n")
	deadline := time.Now().Add(10 * time.Second)
	for fresh := login(t, s.url, "alice", "hs-password"); !signedWith(t, python, fresh, newSecret); fresh = login(t, s.url, "alice", "hs-password") {
		if time.Now().After(deadline) {
			t.Fatal("after the HUP new tokens are still not signed with the new secret")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status := hello(t, s.url, old); status != http.StatusOK {
		t.Errorf("GET /hello/ with a token of the previous secret after a HUP = %d, want 200", status)
	}
	if status := hello(t, s.url, forged); status != http.StatusUnauthorized {
		t.Errorf("GET /hello/ with a token of an unrelated secret = %d, want 401", status)
	}

	// The same after a restart, the keys in the environment.
	s.stop()
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s = serveConfigured(t, stateDir, file, "DROVER_SECRET_KEY="+newSecret, "DROVER_SECRET_KEY_PREVIOUS="+oldSecret)
	if status := hello(t, s.url, old); status != http.StatusOK {
		t.Errorf("GET /hello/ with a token of DROVER_SECRET_KEY_PREVIOUS after a restart = %d, want 200", status)
	}
	if status := hello(t, s.url, forged); status != http.StatusUnauthorized {
		t.Errorf("GET /hello/ with a token of an unrelated secret after a restart = %d, want 401", status)
	}
	if fresh := login(t, s.url, "alice", "hs-password"); !signedWith(t, python, fresh, newSecret) {
		t.Errorf("after the restart a new token %q is not signed with DROVER_SECRET_KEY", fresh)
	}
}

// forgeHS256 signs the claims of token with secret, as PyJWT does.
func forgeHS256(t *testing.T, python, secret, token string) string {
	t.Helper()
	cmd := exec.Command(python, "-c", `
import os, sys, jwt
claims = jwt.decode(os.environ["TOKEN"], options={"verify_signature": False})
sys.stdout.write(jwt.encode(claims, os.environ["SECRET"], algorithm="HS256"))
`)
	cmd.Env = append(os.Environ(), "TOKEN="+token, "SECRET="+secret)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("forge with PyJWT: %v", err)
	}
	return string(out)
}

// signedWith reports whether PyJWT verifies token with the HS256 secret.
func signedWith(t *testing.T, python, token, secret string) bool {
	t.Helper()
	cmd := exec.Command(python, "-c", `
import os, jwt
jwt.decode(os.environ["TOKEN"], os.environ["SECRET"], algorithms=["HS256"])
`)
	cmd.Env = append(os.Environ(), "TOKEN="+token, "SECRET="+secret)
	return cmd.Run() == nil
}
