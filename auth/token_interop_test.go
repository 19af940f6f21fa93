package auth

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// pyJWTScript verifies $TOKEN with PyJWT, re-encodes its claims and makes a
// token of its own with the same kind of claims, both with the token's
// kid. It prints JSON.
const pyJWTScript = `
import json, os, sys, time, uuid
import jwt

alg, token = os.environ["ALG"], os.environ["TOKEN"]
if alg == "HS256":
    verify_key = sign_key = bytes.fromhex(os.environ["KEY_HEX"])
else:
    verify_key = jwt.PyJWK(json.loads(os.environ["JWKS"])["keys"][0]).key
    sign_key = os.environ["PRIVATE_PEM"]

claims = jwt.decode(token, verify_key, algorithms=[alg])
kid = jwt.get_unverified_header(token).get("kid")
headers = {"kid": kid} if kid is not None else None
now = int(time.time())
made = {"token_type": "access", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex, "user_id": 7}
json.dump({
    "version": jwt.__version__,
    "header": json.dumps(jwt.get_unverified_header(token), separators=(",", ":")),
    "claims": json.dumps(claims, separators=(",", ":")),
    "reencoded": jwt.encode(claims, sign_key, algorithm=alg, headers=headers),
    "made": jwt.encode(made, sign_key, algorithm=alg, headers=headers),
    "made_jti": made["jti"],
}, sys.stdout)
`

// pythonWithPyJWT returns a python3 that imports PyJWT and cryptography:
// the one on PATH, else Debian's /usr/bin/python3, where python3-jwt
// installs them. Without one the test fails, or skips under -short.
func pythonWithPyJWT(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(name)
		if err == nil && exec.Command(path, "-c", "import jwt, cryptography").Run() == nil {
			return path
		}
	}
	const msg = "no python3 that imports jwt (PyJWT) and cryptography: `make deps` installs python3-jwt and python3-cryptography"
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

// TestInteropPyJWT checks drover's tokens against an independent
// implementation, PyJWT (Debian's python3-jwt, which simplejwt 5.2.2 signs
// with): PyJWT verifies drover's tokens and reads the same claims, PyJWT
// signing the same claims gives the same bytes (for the deterministic
// algorithms), and Parse accepts what PyJWT signs.
func TestInteropPyJWT(t *testing.T) {
	python := pythonWithPyJWT(t)
	issue := func(tk *Tokens) (string, Claims, error) { return tk.Issue(Access, 42) }
	// Extra claims as a program's claims hook adds them, in what
	// encoding/json and Python's json write alike (ASCII, no <>&).
	issueWith := func(tk *Tokens) (string, Claims, error) {
		return tk.IssueWith(Access, 42, map[string]any{"plan": "pro", "seats": 3, "scopes": []string{"read", "write"}, "org": map[string]any{"id": 9, "name": "Acme"}})
	}
	tests := []struct {
		name          string
		give          TokenConfig
		giveIssue     func(*Tokens) (string, Claims, error)
		wantIdentical bool // PyJWT's encoding of the claims is the same token
	}{
		{name: "HS256", give: TokenConfig{Secret: []byte(testSecret)}, giveIssue: issue, wantIdentical: true},
		{name: "EdDSA", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem")}, giveIssue: issue, wantIdentical: true},
		{name: "ES256", give: TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.pem")}, giveIssue: issue, wantIdentical: false}, // randomized signatures
		{name: "RS256", give: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(t, "rsa2048.pem")}, giveIssue: issue, wantIdentical: true},
		{name: "HS256 with extra claims", give: TokenConfig{Secret: []byte(testSecret)}, giveIssue: issueWith, wantIdentical: true},
		{name: "EdDSA with extra claims", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem")}, giveIssue: issueWith, wantIdentical: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, err := NewTokens(tt.give) // the real clock: PyJWT checks exp against it
			if err != nil {
				t.Fatal(err)
			}
			jwks, _ := tk.JWKS() // nil for HS256
			tok, _, err := tt.giveIssue(tk)
			if err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, "-c", pyJWTScript)
			cmd.Env = append(os.Environ(),
				"ALG="+tk.alg, "TOKEN="+tok, "KEY_HEX="+hex.EncodeToString(tt.give.Secret),
				"JWKS="+string(jwks), "PRIVATE_PEM="+string(tt.give.PrivateKeyPEM))
			cmd.Stderr = &testWriter{t}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("PyJWT on %q: %v", tok, err)
			}
			var py struct {
				Version, Header, Claims, Reencoded, Made string
				MadeJTI                                  string `json:"made_jti"`
			}
			if err := json.Unmarshal(out, &py); err != nil {
				t.Fatalf("PyJWT printed %q: %v", out, err)
			}
			t.Logf("PyJWT %s", py.Version)

			if want := decodeSegment(t, tok, 0); py.Header != want {
				t.Errorf("PyJWT read header %s of %q, want %s", py.Header, tok, want)
			}
			if want := decodeSegment(t, tok, 1); py.Claims != want {
				t.Errorf("PyJWT read claims %s of %q, want %s", py.Claims, tok, want)
			}
			if (py.Reencoded == tok) != tt.wantIdentical {
				t.Errorf("PyJWT encoded the claims of %q as %q; identical %t, want %t", tok, py.Reencoded, !tt.wantIdentical, tt.wantIdentical)
			}
			got, err := tk.Parse(py.Made, Access)
			if err != nil || got.UserID != 7 || got.JTI != py.MadeJTI || got.TokenType != Access {
				t.Errorf("Parse(%q, access) of PyJWT's token = %+v, %v; want user 7, jti %s", py.Made, got, err, py.MadeJTI)
			}
			if _, err := tk.Parse(py.Made, Refresh); !errors.Is(err, ErrWrongTokenType) {
				t.Errorf("Parse(%q, refresh) of PyJWT's access token = %v, want ErrWrongTokenType", py.Made, err)
			}
		})
	}
}

// testWriter sends a subprocess's stderr to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}
