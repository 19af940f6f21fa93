package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testSecret is the HS256 key of the tests: exactly 32 bytes.
const testSecret = "drover-test-secret-0123456789abc"

// testNow is the fixed clock of the tests.
var testNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestTokens returns NewTokens(cfg) with its clock stopped at testNow.
func newTestTokens(t testing.TB, cfg TokenConfig) *Tokens {
	t.Helper()
	tk, err := NewTokens(cfg)
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	tk.now = func() time.Time { return testNow }
	return tk
}

// readKey returns a PEM file of testdata/tokens.
func readKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tokens", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// generateKey returns a fresh PKCS#8 private key and its PKIX public key,
// PEM-encoded, for alg.
func generateKey(t testing.TB, alg string) (priv, pub []byte) {
	t.Helper()
	var key any
	var err error
	switch alg {
	case "EdDSA":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("generateKey(%q): unknown algorithm", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
}

// privateKey parses a PEM private key for signing forged tokens.
func privateKey(t testing.TB, alg string, data []byte) any {
	t.Helper()
	k, err := parsePrivateKey(alg, data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture holds a verifier per algorithm, all with the clock at testNow.
type fixture struct {
	hs, rs, es, ed *Tokens
	rsaPub         []byte // PEM public keys, for algorithm confusion
	ecPub          []byte
	edPub          []byte
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return &fixture{
		hs:     newTestTokens(t, TokenConfig{Secret: []byte(testSecret)}),
		rs:     newTestTokens(t, TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(t, "rsa2048.pem")}),
		es:     newTestTokens(t, TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.pem")}),
		ed:     newTestTokens(t, TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem")}),
		rsaPub: readKey(t, "rsa2048.pub.pem"),
		ecPub:  readKey(t, "ec-p256.pub.pem"),
		edPub:  readKey(t, "ed25519.pub.pem"),
	}
}

// issue returns a token of tk, failing the test on error.
func issue(t testing.TB, tk *Tokens, typ TokenType, userID int64) string {
	t.Helper()
	tok, _, err := tk.Issue(typ, userID)
	if err != nil {
		t.Fatalf("Issue(%q, %d): %v", typ, userID, err)
	}
	return tok
}

// claimsJSON returns the claims of a valid access token for user 42 at
// testNow, changed by kv: pairs of claim name and value, a nil value
// deleting the claim.
func claimsJSON(t testing.TB, kv ...any) string {
	t.Helper()
	c := map[string]any{
		"token_type": "access",
		"exp":        testNow.Add(5 * time.Minute).Unix(),
		"iat":        testNow.Unix(),
		"jti":        "0123456789abcdef0123456789abcdef",
		"user_id":    42,
	}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		if kv[i+1] == nil {
			delete(c, name)
			continue
		}
		c[name] = kv[i+1]
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign builds a token from a raw header and payload, signed with method
// and key.
func sign(t testing.TB, header, payload string, method jwt.SigningMethod, key any) string {
	t.Helper()
	s := b64(header) + "." + b64(payload)
	sig, err := method.Sign(s, key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hs256 signs payload under header with the test secret.
func hs256(t testing.TB, header, payload string) string {
	t.Helper()
	return sign(t, header, payload, jwt.SigningMethodHS256, []byte(testSecret))
}

const hsHeader = `{"alg":"HS256","typ":"JWT"}`

// parseTest is one row of the Parse attack tables.
type parseTest struct {
	name     string
	tokens   *Tokens
	give     string
	giveType TokenType
	wantErr  error // nil: accepted
}

func runParseTests(t *testing.T, tests []parseTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.tokens.Parse(tt.give, tt.giveType)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Parse(%q, %q) = %v, want %v", tt.give, tt.giveType, err, tt.wantErr)
			}
		})
	}
}

// segment returns part i of a token.
// withoutPayload is c without the payload it carries for Decode, to
// compare with a Claims literal.
func withoutPayload(c Claims) Claims {
	c.payload = ""
	return c
}

func segment(tok string, i int) string { return strings.Split(tok, ".")[i] }

// replaceSegment returns tok with part i replaced.
func replaceSegment(tok string, i int, s string) string {
	parts := strings.Split(tok, ".")
	parts[i] = s
	return strings.Join(parts, ".")
}

func decodeSegment(t testing.TB, tok string, i int) string {
	t.Helper()
	b, err := base64.RawURLEncoding.Strict().DecodeString(segment(tok, i))
	if err != nil {
		t.Fatalf("segment %d of %q: %v", i, tok, err)
	}
	return string(b)
}

func TestTokensRoundTrip(t *testing.T) {
	genEd, genEdPub := generateKey(t, "EdDSA")
	genES, genESPub := generateKey(t, "ES256")
	genRS, genRSPub := generateKey(t, "RS256")
	hs := TokenConfig{Secret: []byte(testSecret)}
	tests := []struct {
		name       string
		giveIssuer TokenConfig
		giveParser TokenConfig // verifies what giveIssuer signs
		giveType   TokenType
		wantHeader string // THUMBPRINT for the RFC 7638 thumbprint of a generated key
	}{
		{name: "HS256 access", giveIssuer: hs, giveParser: hs, giveType: Access, wantHeader: hsHeader},
		{name: "HS256 refresh", giveIssuer: hs, giveParser: hs, giveType: Refresh, wantHeader: hsHeader},
		{
			name:       "HS256 explicit",
			giveIssuer: TokenConfig{Algorithm: "HS256", Secret: []byte(testSecret + "longer secrets are fine")},
			giveParser: TokenConfig{Algorithm: "HS256", Secret: []byte(testSecret + "longer secrets are fine")},
			giveType:   Access, wantHeader: hsHeader,
		},
		{
			name:       "EdDSA generated",
			giveIssuer: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: genEd},
			giveParser: TokenConfig{Algorithm: "EdDSA", PublicKeyPEM: genEdPub},
			giveType:   Access, wantHeader: `{"alg":"EdDSA","kid":"THUMBPRINT","typ":"JWT"}`,
		},
		{
			name:       "ES256 generated",
			giveIssuer: TokenConfig{Algorithm: "ES256", PrivateKeyPEM: genES},
			giveParser: TokenConfig{Algorithm: "ES256", PublicKeyPEM: genESPub},
			giveType:   Refresh, wantHeader: `{"alg":"ES256","kid":"THUMBPRINT","typ":"JWT"}`,
		},
		{
			name:       "RS256 generated",
			giveIssuer: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: genRS, PublicKeyPEM: genRSPub},
			giveParser: TokenConfig{Algorithm: "RS256", PublicKeyPEM: genRSPub},
			giveType:   Access, wantHeader: `{"alg":"RS256","kid":"THUMBPRINT","typ":"JWT"}`,
		},
		{
			name:       "EdDSA fixed key",
			giveIssuer: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem")},
			giveParser: TokenConfig{Algorithm: "EdDSA", PublicKeyPEM: readKey(t, "ed25519.pub.pem")},
			giveType:   Refresh, wantHeader: `{"alg":"EdDSA","kid":"pkSTaD4BNAnWGFK78IX5iYuAxcPr17ooqFwzCXjtHtI","typ":"JWT"}`,
		},
		{
			name:       "ES256 SEC1 key",
			giveIssuer: TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.sec1.pem")},
			giveParser: TokenConfig{Algorithm: "ES256", PublicKeyPEM: readKey(t, "ec-p256.pub.pem")},
			giveType:   Access, wantHeader: `{"alg":"ES256","kid":"NYmZY6RvaKAYdLryWoiQjOA5fsCFe59ZWmN9pKZ53K4","typ":"JWT"}`,
		},
		{
			name:       "RS256 PKCS#1 key",
			giveIssuer: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(t, "rsa2048.pkcs1.pem")},
			giveParser: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(t, "rsa2048.pem")},
			giveType:   Refresh, wantHeader: `{"alg":"RS256","kid":"qbECVHDkdXaDNi_9_K_oEqyb6nyYuMjARtBG94hcjXE","typ":"JWT"}`,
		},
		{
			name:       "key ID, audience and issuer",
			giveIssuer: TokenConfig{Secret: []byte(testSecret), KeyID: "k1", Audience: "drover-api", Issuer: "https://drover.example"},
			giveParser: TokenConfig{Secret: []byte(testSecret), KeyID: "k1", Audience: "drover-api", Issuer: "https://drover.example"},
			giveType:   Access, wantHeader: `{"alg":"HS256","kid":"k1","typ":"JWT"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := newTestTokens(t, tt.giveIssuer)
			parser := newTestTokens(t, tt.giveParser)
			tok, issued, err := issuer.Issue(tt.giveType, 42)
			if err != nil {
				t.Fatalf("Issue(%q, 42) error = %v", tt.giveType, err)
			}
			got, err := parser.Parse(tok, tt.giveType)
			if err != nil || got != issued {
				t.Errorf("Parse(%q, %q) = %+v, %v; want %+v, nil", tok, tt.giveType, got, err, issued)
			}
			want := tt.wantHeader
			if strings.Contains(want, "THUMBPRINT") {
				thumb, err := Thumbprint(parser.keys[0].key)
				if err != nil {
					t.Fatal(err)
				}
				want = strings.Replace(want, "THUMBPRINT", thumb, 1)
			}
			if h := decodeSegment(t, tok, 0); h != want {
				t.Errorf("header of %q = %s, want %s", tok, h, want)
			}
		})
	}
}

// TestIssueClaims checks the claims against what simplejwt 5.2.2 writes:
// token_type, exp, iat, jti, user_id in that order, exp and iat in whole
// seconds, jti 32 lowercase hex characters, user_id a JSON number, then
// aud and iss when configured.
func TestIssueClaims(t *testing.T) {
	notWhole := testNow.Add(999 * time.Millisecond)
	tests := []struct {
		name      string
		giveCfg   TokenConfig
		giveNow   time.Time
		giveType  TokenType
		giveUser  int64
		wantClaim string // the payload, with JTI where the jti goes
	}{
		{
			name: "access", giveCfg: TokenConfig{Secret: []byte(testSecret)}, giveNow: testNow, giveType: Access, giveUser: 42,
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42}`,
		},
		{
			name: "refresh", giveCfg: TokenConfig{Secret: []byte(testSecret)}, giveNow: testNow, giveType: Refresh, giveUser: 1,
			wantClaim: `{"token_type":"refresh","exp":1735873445,"iat":1735787045,"jti":"JTI","user_id":1}`,
		},
		{
			name: "fractions of a second are dropped", giveCfg: TokenConfig{Secret: []byte(testSecret)}, giveNow: notWhole, giveType: Access, giveUser: 42,
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42}`,
		},
		{
			name: "custom lifetime", giveCfg: TokenConfig{Secret: []byte(testSecret), AccessLifetime: time.Hour}, giveNow: testNow, giveType: Access, giveUser: 42,
			wantClaim: `{"token_type":"access","exp":1735790645,"iat":1735787045,"jti":"JTI","user_id":42}`,
		},
		{
			name: "large user id", giveCfg: TokenConfig{Secret: []byte(testSecret)}, giveNow: testNow, giveType: Access, giveUser: 1<<63 - 1,
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":9223372036854775807}`,
		},
		{
			name:    "audience and issuer",
			giveCfg: TokenConfig{Secret: []byte(testSecret), Audience: "drover-api", Issuer: `https://drover.example/"x"`}, giveNow: testNow, giveType: Access, giveUser: 42,
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42,"aud":"drover-api","iss":"https://drover.example/\"x\""}`,
		},
	}
	jti := regexp.MustCompile(`"jti":"[0-9a-f]{32}"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTestTokens(t, tt.giveCfg)
			tk.now = func() time.Time { return tt.giveNow }
			tok, claims, err := tk.Issue(tt.giveType, tt.giveUser)
			if err != nil {
				t.Fatalf("Issue(%q, %d) error = %v", tt.giveType, tt.giveUser, err)
			}
			payload := decodeSegment(t, tok, 1)
			if got := jti.ReplaceAllString(payload, `"jti":"JTI"`); got != tt.wantClaim {
				t.Errorf("Issue(%q, %d) payload = %s, want %s", tt.giveType, tt.giveUser, payload, tt.wantClaim)
			}
			if !strings.Contains(payload, `"jti":"`+claims.JTI+`"`) || len(claims.JTI) != 32 {
				t.Errorf("Issue(%q, %d) claims.JTI = %q, not the jti of %s", tt.giveType, tt.giveUser, claims.JTI, payload)
			}
		})
	}
}

func TestIssueJTIUnique(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	seen := make(map[string]bool)
	for range 1000 {
		_, c, err := tk.Issue(Access, 1)
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.JTI] {
			t.Fatalf("Issue repeated jti %q", c.JTI)
		}
		seen[c.JTI] = true
	}
}

func TestIssueErrors(t *testing.T) {
	verifyOnly := newTestTokens(t, TokenConfig{Algorithm: "EdDSA", PublicKeyPEM: readKey(t, "ed25519.pub.pem")})
	hs := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	tests := []struct {
		name     string
		tokens   *Tokens
		giveType TokenType
		giveUser int64
		wantErr  string
	}{
		{name: "verify only", tokens: verifyOnly, giveType: Access, giveUser: 1, wantErr: "public key only"},
		{name: "unknown type", tokens: hs, giveType: "sliding", giveUser: 1, wantErr: `unknown token type "sliding"`},
		{name: "zero user", tokens: hs, giveType: Access, giveUser: 0, wantErr: "not positive"},
		{name: "negative user", tokens: hs, giveType: Refresh, giveUser: -5, wantErr: "not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, _, err := tt.tokens.Issue(tt.giveType, tt.giveUser)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || tok != "" {
				t.Errorf("Issue(%q, %d) = %q, %v; want error containing %q", tt.giveType, tt.giveUser, tok, err, tt.wantErr)
			}
		})
	}
}

func TestNewTokensErrors(t *testing.T) {
	rsaKey := readKey(t, "rsa2048.pem")
	tests := []struct {
		name    string
		give    TokenConfig
		wantErr string
	}{
		{name: "no secret", give: TokenConfig{}, wantErr: "shorter than 32 bytes (got 0)"},
		{name: "short secret", give: TokenConfig{Secret: []byte(testSecret[:31])}, wantErr: "shorter than 32 bytes (got 31)"},
		{name: "unknown algorithm", give: TokenConfig{Algorithm: "HS512", Secret: []byte(testSecret)}, wantErr: `algorithm "HS512"`},
		{name: "algorithm none", give: TokenConfig{Algorithm: "none", Secret: []byte(testSecret)}, wantErr: `algorithm "none"`},
		{name: "algorithm in lower case", give: TokenConfig{Algorithm: "hs256", Secret: []byte(testSecret)}, wantErr: `algorithm "hs256"`},
		{name: "HS256 with PEM key", give: TokenConfig{Secret: []byte(testSecret), PrivateKeyPEM: rsaKey}, wantErr: "HS256 uses Secret"},
		{name: "RS256 with secret", give: TokenConfig{Algorithm: "RS256", Secret: []byte(testSecret), PrivateKeyPEM: rsaKey}, wantErr: "RS256 uses PEM keys"},
		{name: "RS256 without keys", give: TokenConfig{Algorithm: "RS256"}, wantErr: "needs a private key"},
		{name: "RS256 with EC key", give: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(t, "ec-p256.pem")}, wantErr: "an EC key cannot be used with RS256"},
		{name: "ES256 with Ed25519 key", give: TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ed25519.pem")}, wantErr: "an Ed25519 key cannot be used with ES256"},
		{name: "EdDSA with RSA public key", give: TokenConfig{Algorithm: "EdDSA", PublicKeyPEM: readKey(t, "rsa2048.pub.pem")}, wantErr: "public key: an RSA key cannot be used with EdDSA"},
		{name: "ES256 with P-384 key", give: TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p384.sec1.pem")}, wantErr: "needs a P-256 key, not P-384"},
		{name: "RS256 with 1024-bit key", give: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(t, "rsa1024.pem")}, wantErr: "at least 2048 bits, not 1024"},
		{name: "public key of another pair", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem"), PublicKeyPEM: mustGeneratePub(t, "EdDSA")}, wantErr: "does not belong to the private key"},
		{name: "not PEM", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: []byte("not a key")}, wantErr: "private key: no PEM block found"},
		{name: "public key as private key", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pub.pem")}, wantErr: `PEM block "PUBLIC KEY" is not PRIVATE KEY`},
		{name: "private key as public key", give: TokenConfig{Algorithm: "EdDSA", PublicKeyPEM: readKey(t, "ed25519.pem")}, wantErr: `PEM block "PRIVATE KEY" is not PUBLIC KEY`},
		{name: "PKCS#1 public key", give: TokenConfig{Algorithm: "RS256", PublicKeyPEM: pkcs1Public(t)}, wantErr: `PEM block "RSA PUBLIC KEY" is not PUBLIC KEY (PKIX)`},
		{name: "encrypted key", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")}, wantErr: "encrypted PEM keys are not supported"},
		{name: "corrupt DER", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}, wantErr: "private key: PRIVATE KEY:"},
		{name: "negative leeway", give: TokenConfig{Secret: []byte(testSecret), Leeway: -time.Second}, wantErr: "leeway -1s"},
		{name: "sub-second access lifetime", give: TokenConfig{Secret: []byte(testSecret), AccessLifetime: time.Millisecond}, wantErr: "access token lifetime 1ms"},
		{name: "negative refresh lifetime", give: TokenConfig{Secret: []byte(testSecret), RefreshLifetime: -time.Hour}, wantErr: "refresh token lifetime -1h0m0s"},
		{name: "negative max size", give: TokenConfig{Secret: []byte(testSecret), MaxTokenSize: -1}, wantErr: "max token size -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTokens(tt.give)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewTokens(%s) error = %v, want one containing %q", tt.name, err, tt.wantErr)
			}
		})
	}
}

func TestNewTokensWeakSecret(t *testing.T) {
	_, err := NewTokens(TokenConfig{Secret: []byte("short")})
	if !errors.Is(err, ErrWeakSecret) {
		t.Errorf("NewTokens(5-byte secret) error = %v, want ErrWeakSecret", err)
	}
}

func TestNewTokensCopiesSecret(t *testing.T) {
	secret := []byte(testSecret)
	tk := newTestTokens(t, TokenConfig{Secret: secret})
	tok := issue(t, tk, Access, 42)
	secret[0] ^= 0xff
	if _, err := tk.Parse(tok, Access); err != nil {
		t.Errorf("Parse after the caller changed its secret slice = %v, want nil", err)
	}
}

// pkcs1Public returns the test RSA public key in PKCS#1 form.
func pkcs1Public(t testing.TB) []byte {
	t.Helper()
	k := privateKey(t, "RS256", readKey(t, "rsa2048.pem")).(*rsa.PrivateKey)
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
}

func mustGeneratePub(t testing.TB, alg string) []byte {
	t.Helper()
	_, pub := generateKey(t, alg)
	return pub
}

func TestTokensLifetime(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), RefreshLifetime: 7 * 24 * time.Hour})
	tests := []struct {
		give TokenType
		want time.Duration
	}{
		{give: Access, want: 5 * time.Minute},
		{give: Refresh, want: 7 * 24 * time.Hour},
		{give: "sliding", want: 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.give), func(t *testing.T) {
			if got := tk.Lifetime(tt.give); got != tt.want {
				t.Errorf("Lifetime(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestTokenMessage(t *testing.T) {
	tests := []struct {
		name string
		give error
		want string
	}{
		{name: "wrong type", give: ErrWrongTokenType, want: "Token has wrong type"},
		{name: "wrapped wrong type", give: errors.Join(errors.New("x"), ErrWrongTokenType), want: "Token has wrong type"},
		{name: "no exp", give: missing(ErrNoExp), want: "Token has no 'exp' claim"},
		{name: "no jti", give: missing(ErrNoJTI), want: "Token has no id"},
		{name: "no token_type", give: missing(ErrNoTokenType), want: "Token has no type"},
		{name: "no user_id", give: missing(ErrNoUserID), want: "Token contained no recognizable user identification"},
		{name: "invalid", give: ErrTokenInvalid, want: "Token is invalid or expired"},
		{name: "wrapped invalid", give: parseError(jwt.ErrTokenExpired), want: "Token is invalid or expired"},
		{name: "anything else", give: errors.New("boom"), want: "Token is invalid or expired"},
		{name: "nil", give: nil, want: "Token is invalid or expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TokenMessage(tt.give); got != tt.want {
				t.Errorf("TokenMessage(%v) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

// TestParseClaims checks what Parse returns for tokens it did not issue.
func TestParseClaims(t *testing.T) {
	hs := newFixture(t).hs
	tests := []struct {
		name string
		give string
		want Claims
	}{
		{
			name: "simplejwt's claims",
			give: hs256(t, hsHeader, claimsJSON(t)),
			want: Claims{TokenType: Access, UserID: 42, JTI: "0123456789abcdef0123456789abcdef", IssuedAt: testNow, ExpiresAt: testNow.Add(5 * time.Minute)},
		},
		{
			name: "no iat",
			give: hs256(t, hsHeader, claimsJSON(t, "iat", nil)),
			want: Claims{TokenType: Access, UserID: 42, JTI: "0123456789abcdef0123456789abcdef", ExpiresAt: testNow.Add(5 * time.Minute)},
		},
		{
			name: "no typ header, other jti, extra claims",
			give: hs256(t, `{"alg":"HS256"}`, claimsJSON(t, "jti", "x", "name", "alice", "user_id", 7)),
			want: Claims{TokenType: Access, UserID: 7, JTI: "x", IssuedAt: testNow, ExpiresAt: testNow.Add(5 * time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hs.Parse(tt.give, Access)
			if err != nil || withoutPayload(got) != tt.want {
				t.Errorf("Parse(%q, access) = %+v, %v; want %+v, nil", tt.give, got, err, tt.want)
			}
		})
	}
}

// TestParseUntyped checks ParseUntyped, what verify checks: what Parse
// checks up to jti, but neither token_type nor user_id.
func TestParseUntyped(t *testing.T) {
	hs, _, now, tok := timeFixture(t)
	const jti = "0123456789abcdef0123456789abcdef"
	exp := testNow.Add(5 * time.Minute)
	tests := []struct {
		name    string
		give    string
		want    Claims
		wantErr error // nil: accepted
	}{
		{name: "access", give: tok(), want: Claims{TokenType: Access, UserID: 42, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "refresh", give: tok("token_type", "refresh"), want: Claims{TokenType: Refresh, UserID: 42, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "no token_type", give: tok("token_type", nil), want: Claims{UserID: 42, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "sliding", give: tok("token_type", "sliding"), want: Claims{TokenType: "sliding", UserID: 42, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "token_type a number", give: tok("token_type", 1), want: Claims{UserID: 42, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "no user_id", give: tok("user_id", nil), want: Claims{TokenType: Access, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "user_id a string", give: tok("user_id", "42"), want: Claims{TokenType: Access, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "user_id negative", give: tok("user_id", -1), want: Claims{TokenType: Access, JTI: jti, IssuedAt: testNow, ExpiresAt: exp}},
		{name: "no exp", give: tok("exp", nil), wantErr: ErrNoExp},
		{name: "no jti", give: tok("jti", nil), wantErr: ErrNoJTI},
		{name: "no jti, no token_type", give: tok("jti", nil, "token_type", nil), wantErr: ErrNoJTI},
		{name: "expired", give: tok("exp", now-1), wantErr: ErrTokenInvalid},
		{name: "bad signature", give: replaceSegment(tok(), 2, segment(tok("user_id", 1), 2)), wantErr: ErrTokenInvalid},
		{name: "garbage", give: "x", wantErr: ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hs.ParseUntyped(tt.give)
			if withoutPayload(got) != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseUntyped(%q) = %+v, %v; want %+v, %v", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseAlgNone(t *testing.T) {
	fx := newFixture(t)
	claims := claimsJSON(t)
	tests := []parseTest{
		{name: "none to HS256", tokens: fx.hs, give: b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(claims) + ".", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "None to HS256", tokens: fx.hs, give: b64(`{"alg":"None","typ":"JWT"}`) + "." + b64(claims) + ".", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "NONE to HS256", tokens: fx.hs, give: b64(`{"alg":"NONE"}`) + "." + b64(claims) + ".", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "none to RS256", tokens: fx.rs, give: b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(claims) + ".", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "none to EdDSA", tokens: fx.ed, give: b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(claims) + ".", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "none with a signature", tokens: fx.hs, give: b64(`{"alg":"none"}`) + "." + b64(claims) + "." + segment(hs256(t, hsHeader, claims), 2), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no alg", tokens: fx.hs, give: b64(`{"typ":"JWT"}`) + "." + b64(claims) + "." + segment(hs256(t, hsHeader, claims), 2), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "alg not a string", tokens: fx.hs, give: hs256(t, `{"alg":["HS256"]}`, claims), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "signed HS256 still works", tokens: fx.hs, give: hs256(t, hsHeader, claims), giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

// TestParseAlgorithmConfusion presents HS256 tokens whose HMAC key is the
// verifier's public key PEM to asymmetric verifiers, and asymmetric tokens
// to verifiers of other algorithms.
func TestParseAlgorithmConfusion(t *testing.T) {
	fx := newFixture(t)
	claims := claimsJSON(t)
	hsWith := func(key []byte) string { return sign(t, hsHeader, claims, jwt.SigningMethodHS256, key) }
	tests := []parseTest{
		{name: "HS256 keyed with RSA public PEM", tokens: fx.rs, give: hsWith(fx.rsaPub), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "HS256 keyed with EC public PEM", tokens: fx.es, give: hsWith(fx.ecPub), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "HS256 keyed with Ed25519 public PEM", tokens: fx.ed, give: hsWith(fx.edPub), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "HS256 keyed with RSA public PEM, no newline", tokens: fx.rs, give: hsWith([]byte(strings.TrimSpace(string(fx.rsaPub)))), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "RS256 token to ES256 verifier", tokens: fx.es, give: issue(t, fx.rs, Access, 42), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "ES256 token to EdDSA verifier", tokens: fx.ed, give: issue(t, fx.es, Access, 42), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "EdDSA token to HS256 verifier", tokens: fx.hs, give: issue(t, fx.ed, Access, 42), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "RS256 token to HS256 verifier", tokens: fx.hs, give: issue(t, fx.rs, Access, 42), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "HS384 with the right secret", tokens: fx.hs, give: sign(t, `{"alg":"HS384","typ":"JWT"}`, claims, jwt.SigningMethodHS384, []byte(testSecret)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "PS256 with the right key", tokens: fx.rs, give: sign(t, `{"alg":"PS256","typ":"JWT"}`, claims, jwt.SigningMethodPS256, privateKey(t, "RS256", readKey(t, "rsa2048.pem"))), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "RS256 header on an HS256 signature", tokens: fx.rs, give: b64(`{"alg":"RS256","typ":"JWT"}`) + "." + b64(claims) + "." + segment(hsWith(fx.rsaPub), 2), giveType: Access, wantErr: ErrTokenInvalid},
	}
	runParseTests(t, tests)
}

func TestParseTamperedHeader(t *testing.T) {
	fx := newFixture(t)
	tok := issue(t, fx.hs, Access, 42)
	rsTok := issue(t, fx.rs, Access, 42)
	tests := []parseTest{
		{name: "kid added", tokens: fx.hs, give: replaceSegment(tok, 0, b64(`{"alg":"HS256","kid":"x","typ":"JWT"}`)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "typ changed", tokens: fx.hs, give: replaceSegment(tok, 0, b64(`{"alg":"HS256","typ":"at+jwt"}`)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "keys reordered", tokens: fx.hs, give: replaceSegment(tok, 0, b64(`{"typ":"JWT","alg":"HS256"}`)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "alg to HS256 on RS256", tokens: fx.rs, give: replaceSegment(rsTok, 0, b64(hsHeader)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "jwk header added", tokens: fx.rs, give: replaceSegment(rsTok, 0, b64(`{"alg":"RS256","jwk":{"kty":"oct","k":"AAAA"},"typ":"JWT"}`)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "crit header, validly signed", tokens: fx.hs, give: hs256(t, `{"alg":"HS256","crit":["exp"],"exp":1,"typ":"JWT"}`, claimsJSON(t)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "b64 false, validly signed", tokens: fx.hs, give: hs256(t, `{"alg":"HS256","b64":false,"crit":["b64"]}`, claimsJSON(t)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "header not JSON", tokens: fx.hs, give: hs256(t, `{"alg":"HS256"`, claimsJSON(t)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "header not an object", tokens: fx.hs, give: hs256(t, `"HS256"`, claimsJSON(t)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "untampered", tokens: fx.hs, give: tok, giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

// TestParseEmbeddedKey signs a token with the attacker's own key and puts
// that key (or a pointer to it) in the header: the verifier's key is used
// whatever the header says.
func TestParseEmbeddedKey(t *testing.T) {
	fx := newFixture(t)
	attacker, attackerPub := generateKey(t, "ES256")
	jwk, err := marshalJWKS("ES256", []verifyKey{{key: privateKey(t, "ES256", attacker).(crypto.Signer).Public()}})
	if err != nil {
		t.Fatal(err)
	}
	claims := claimsJSON(t)
	es := func(header string) string {
		return sign(t, header, claims, jwt.SigningMethodES256, privateKey(t, "ES256", attacker))
	}
	key := strings.TrimSuffix(strings.TrimPrefix(string(jwk), `{"keys":[`), `]}`)
	tests := []parseTest{
		{name: "jwk", tokens: fx.es, give: es(`{"alg":"ES256","jwk":` + key + `}`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "jku", tokens: fx.es, give: es(`{"alg":"ES256","jku":"https://attacker.example/jwks.json"}`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "x5u", tokens: fx.es, give: es(`{"alg":"ES256","x5u":"https://attacker.example/cert.pem"}`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "kid holding the attacker's key", tokens: fx.es, give: es(`{"alg":"ES256","kid":"` + strings.ReplaceAll(string(attackerPub), "\n", `\n`) + `"}`), giveType: Access, wantErr: ErrTokenInvalid},
	}
	runParseTests(t, tests)
}

func TestParseTamperedPayload(t *testing.T) {
	fx := newFixture(t)
	tok := issue(t, fx.hs, Access, 42)
	esTok := issue(t, fx.es, Access, 42)
	payload := decodeSegment(t, tok, 1)
	tamper := func(tok, old, new string) string {
		return replaceSegment(tok, 1, b64(strings.Replace(decodeSegment(t, tok, 1), old, new, 1)))
	}
	tests := []parseTest{
		{name: "user_id changed", tokens: fx.hs, give: tamper(tok, `"user_id":42`, `"user_id":1`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "token_type changed", tokens: fx.hs, give: tamper(tok, `"access"`, `"refresh"`), giveType: Refresh, wantErr: ErrTokenInvalid},
		{name: "exp extended", tokens: fx.hs, give: tamper(tok, `"exp":17`, `"exp":27`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "claim appended", tokens: fx.hs, give: replaceSegment(tok, 1, b64(strings.TrimSuffix(payload, "}")+`,"is_staff":true}`)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "whitespace added", tokens: fx.hs, give: replaceSegment(tok, 1, b64(payload+" ")), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "ES256 user_id changed", tokens: fx.es, give: tamper(esTok, `"user_id":42`, `"user_id":43`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "signature truncated", tokens: fx.hs, give: tok[:len(tok)-4], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "signature empty", tokens: fx.hs, give: tok[:strings.LastIndexByte(tok, '.')+1], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "signature of another token", tokens: fx.hs, give: replaceSegment(tok, 2, segment(issue(t, fx.hs, Access, 1), 2)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "untampered", tokens: fx.hs, give: tok, giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

func TestParseWrongKey(t *testing.T) {
	fx := newFixture(t)
	otherEd, _ := generateKey(t, "EdDSA")
	otherES, _ := generateKey(t, "ES256")
	claims := claimsJSON(t)
	otherHS := newTestTokens(t, TokenConfig{Secret: []byte(strings.ToUpper(testSecret))})
	tests := []parseTest{
		{name: "HS256 other secret", tokens: fx.hs, give: issue(t, otherHS, Access, 42), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "HS256 empty secret", tokens: fx.hs, give: sign(t, hsHeader, claims, jwt.SigningMethodHS256, []byte{}), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "EdDSA other key", tokens: fx.ed, give: sign(t, `{"alg":"EdDSA","typ":"JWT"}`, claims, jwt.SigningMethodEdDSA, privateKey(t, "EdDSA", otherEd)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "ES256 other key", tokens: fx.es, give: sign(t, `{"alg":"ES256","typ":"JWT"}`, claims, jwt.SigningMethodES256, privateKey(t, "ES256", otherES)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "RS256 1024-bit key", tokens: fx.rs, give: sign(t, `{"alg":"RS256","typ":"JWT"}`, claims, jwt.SigningMethodRS256, mustRSA1024(t)), giveType: Access, wantErr: ErrTokenInvalid},
	}
	runParseTests(t, tests)
}

func mustRSA1024(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(readKey(t, "rsa1024.pem"))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// timeFixture returns the HS256 verifier, one with 30s leeway, the time of
// the clock and a signer of claims for the time attacks.
func timeFixture(t *testing.T) (strict, lenient *Tokens, now int64, tok func(kv ...any) string) {
	t.Helper()
	strict = newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	lenient = newTestTokens(t, TokenConfig{Secret: []byte(testSecret), Leeway: 30 * time.Second})
	tok = func(kv ...any) string { return hs256(t, hsHeader, claimsJSON(t, kv...)) }
	return strict, lenient, testNow.Unix(), tok
}

func TestParseExpired(t *testing.T) {
	hs, lenient, now, tok := timeFixture(t)
	tests := []parseTest{
		{name: "expired", tokens: hs, give: tok("exp", now-1), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "expires now", tokens: hs, give: tok("exp", now), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "expires in a second", tokens: hs, give: tok("exp", now+1), giveType: Access, wantErr: nil},
		{name: "expired within leeway", tokens: lenient, give: tok("exp", now-29), giveType: Access, wantErr: nil},
		{name: "expired beyond leeway", tokens: lenient, give: tok("exp", now-30), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "exp long ago", tokens: hs, give: tok("exp", 0), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "exp negative", tokens: hs, give: tok("exp", -1), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "exp fractional", tokens: hs, give: tok("exp", float64(now)+1.5), giveType: Access, wantErr: nil},
		{name: "exp fractional, truncated to now", tokens: hs, give: tok("exp", float64(now)+0.5), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "exp a numeric string, as PyJWT", tokens: hs, give: tok("exp", "9999999999"), giveType: Access, wantErr: nil},
		{name: "exp not a number", tokens: hs, give: tok("exp", "never"), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "exp true", tokens: hs, give: tok("exp", true), giveType: Access, wantErr: ErrTokenInvalid},
	}
	runParseTests(t, tests)
}

func TestParseNotYetValid(t *testing.T) {
	hs, lenient, now, tok := timeFixture(t)
	tests := []parseTest{
		{name: "nbf in the future", tokens: hs, give: tok("nbf", now+60), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "nbf a second ahead", tokens: hs, give: tok("nbf", now+1), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "nbf now", tokens: hs, give: tok("nbf", now), giveType: Access, wantErr: nil},
		{name: "nbf within leeway", tokens: lenient, give: tok("nbf", now+30), giveType: Access, wantErr: nil},
		{name: "nbf beyond leeway", tokens: lenient, give: tok("nbf", now+31), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "nbf not a number", tokens: hs, give: tok("nbf", "soon"), giveType: Access, wantErr: ErrTokenInvalid},
	}
	runParseTests(t, tests)
}

func TestParseIssuedInFuture(t *testing.T) {
	hs, lenient, now, tok := timeFixture(t)
	tests := []parseTest{
		{name: "iat in the future", tokens: hs, give: tok("iat", now+1), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "iat a year ahead", tokens: hs, give: tok("iat", now+365*24*3600, "exp", now+366*24*3600), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "iat within leeway", tokens: lenient, give: tok("iat", now+30), giveType: Access, wantErr: nil},
		{name: "iat beyond leeway", tokens: lenient, give: tok("iat", now+31), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "iat a numeric string, as PyJWT", tokens: hs, give: tok("iat", "0"), giveType: Access, wantErr: nil},
		{name: "iat not a number", tokens: hs, give: tok("iat", "yesterday"), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "iat missing", tokens: hs, give: tok("iat", nil), giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

// TestParseExpiredIssued checks that a token Issue made is refused once its
// lifetime is over.
func TestParseExpiredIssued(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	tok := issue(t, tk, Access, 42)
	tk.now = func() time.Time { return testNow.Add(5 * time.Minute) }
	if _, err := tk.Parse(tok, Access); !errors.Is(err, ErrTokenInvalid) || !strings.HasSuffix(err.Error(), ": expired") {
		t.Errorf("Parse(%q, access) five minutes later = %v, want ErrTokenInvalid: expired", tok, err)
	}
}

func TestParseWrongTokenType(t *testing.T) {
	fx := newFixture(t)
	tests := []parseTest{
		{name: "access as refresh", tokens: fx.hs, give: issue(t, fx.hs, Access, 42), giveType: Refresh, wantErr: ErrWrongTokenType},
		{name: "refresh as access", tokens: fx.hs, give: issue(t, fx.hs, Refresh, 42), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "EdDSA refresh as access", tokens: fx.ed, give: issue(t, fx.ed, Refresh, 42), giveType: Access, wantErr: ErrWrongTokenType},
		// simplejwt compares the claim with its class's type: anything
		// else present, of any JSON type, is the wrong type.
		{name: "sliding", tokens: fx.hs, give: hs256(t, hsHeader, claimsJSON(t, "token_type", "sliding")), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "upper case", tokens: fx.hs, give: hs256(t, hsHeader, claimsJSON(t, "token_type", "ACCESS")), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "a number", tokens: fx.hs, give: hs256(t, hsHeader, claimsJSON(t, "token_type", 1)), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "a list", tokens: fx.hs, give: hs256(t, hsHeader, claimsJSON(t, "token_type", []string{"access"})), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "null", tokens: fx.hs, give: hs256(t, hsHeader, strings.Replace(claimsJSON(t), `"token_type":"access"`, `"token_type":null`, 1)), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "escaped", tokens: fx.hs, give: hs256(t, hsHeader, strings.Replace(claimsJSON(t), `"token_type":"access"`, `"token_type":"\u0061ccess"`, 1)), giveType: Access, wantErr: nil},
		{name: "wrong type before a missing user_id", tokens: fx.hs, give: hs256(t, hsHeader, claimsJSON(t, "token_type", "refresh", "user_id", nil)), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "wrong type before a bad user_id", tokens: fx.hs, give: hs256(t, hsHeader, claimsJSON(t, "token_type", "refresh", "user_id", "42")), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "expired of the other type", tokens: fx.hs, give: hs256(t, hsHeader, claimsJSON(t, "token_type", "refresh", "exp", 1)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "asked for an unknown type", tokens: fx.hs, give: issue(t, fx.hs, Access, 42), giveType: "sliding", wantErr: ErrTokenInvalid},
	}
	runParseTests(t, tests)
}

func TestParseMissingExp(t *testing.T) {
	hs, _, _, tok := timeFixture(t)
	tests := []parseTest{
		{name: "no exp", tokens: hs, give: tok("exp", nil), giveType: Access, wantErr: ErrNoExp},
		{name: "no exp, refresh", tokens: hs, give: tok("exp", nil, "token_type", "refresh"), giveType: Refresh, wantErr: ErrNoExp},
		{name: "no exp is invalid", tokens: hs, give: tok("exp", nil), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "exp null", tokens: hs, give: hs256(t, hsHeader, strings.Replace(claimsJSON(t), `"exp":`, `"exp":null,"x":`, 1)), giveType: Access, wantErr: ErrNoExp},
		// simplejwt's order: PyJWT's checks first, then exp, jti, token_type.
		{name: "no exp, not yet valid", tokens: hs, give: tok("exp", nil, "nbf", testNow.Unix()+60), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no exp, no jti", tokens: hs, give: tok("exp", nil, "jti", nil), giveType: Access, wantErr: ErrNoExp},
		{name: "no exp, no token_type", tokens: hs, give: tok("exp", nil, "token_type", nil), giveType: Access, wantErr: ErrNoExp},
		{name: "no exp, wrong type", tokens: hs, give: tok("exp", nil, "token_type", "refresh"), giveType: Access, wantErr: ErrNoExp},
		{name: "exp present", tokens: hs, give: tok(), giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

func TestParseMissingTokenType(t *testing.T) {
	hs, _, _, tok := timeFixture(t)
	tests := []parseTest{
		{name: "no token_type", tokens: hs, give: tok("token_type", nil), giveType: Access, wantErr: ErrNoTokenType},
		{name: "no token_type is invalid", tokens: hs, give: tok("token_type", nil), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no token_type, as refresh", tokens: hs, give: tok("token_type", nil), giveType: Refresh, wantErr: ErrNoTokenType},
		{name: "empty token_type", tokens: hs, give: tok("token_type", ""), giveType: Access, wantErr: ErrWrongTokenType},
		{name: "typ instead of token_type", tokens: hs, give: tok("token_type", nil, "typ", "access"), giveType: Access, wantErr: ErrNoTokenType},
		{name: "no token_type, no jti", tokens: hs, give: tok("token_type", nil, "jti", nil), giveType: Access, wantErr: ErrNoJTI},
		{name: "no token_type, no user_id", tokens: hs, give: tok("token_type", nil, "user_id", nil), giveType: Access, wantErr: ErrNoTokenType},
		{name: "token_type present", tokens: hs, give: tok(), giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

// TestParseRequiredClaims covers jti and user_id, required as simplejwt
// requires them (user_id as a positive integer), and the payload's shape.
func TestParseRequiredClaims(t *testing.T) {
	hs, _, _, tok := timeFixture(t)
	tests := []parseTest{
		{name: "no jti", tokens: hs, give: tok("jti", nil), giveType: Access, wantErr: ErrNoJTI},
		{name: "no jti is invalid", tokens: hs, give: tok("jti", nil), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no jti, refresh", tokens: hs, give: tok("jti", nil, "token_type", "refresh"), giveType: Refresh, wantErr: ErrNoJTI},
		{name: "empty jti", tokens: hs, give: tok("jti", ""), giveType: Access, wantErr: ErrNoJTI},
		{name: "jti a number", tokens: hs, give: tok("jti", 5), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no jti, wrong type", tokens: hs, give: tok("jti", nil, "token_type", "refresh"), giveType: Access, wantErr: ErrNoJTI},
		{name: "no user_id", tokens: hs, give: tok("user_id", nil), giveType: Access, wantErr: ErrNoUserID},
		{name: "no user_id is invalid", tokens: hs, give: tok("user_id", nil), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no user_id, refresh", tokens: hs, give: tok("user_id", nil, "token_type", "refresh"), giveType: Refresh, wantErr: ErrNoUserID},
		{name: "user_id zero", tokens: hs, give: tok("user_id", 0), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "user_id negative", tokens: hs, give: tok("user_id", -1), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "user_id a string", tokens: hs, give: tok("user_id", "42"), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "user_id fractional", tokens: hs, give: tok("user_id", 42.5), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "user_id too large", tokens: hs, give: hs256(t, hsHeader, strings.Replace(claimsJSON(t), `"user_id":42`, `"user_id":9223372036854775808`, 1)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "user_id null", tokens: hs, give: hs256(t, hsHeader, strings.Replace(claimsJSON(t), `"user_id":42`, `"user_id":null`, 1)), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "payload an array", tokens: hs, give: hs256(t, hsHeader, `[1,2]`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "payload empty object", tokens: hs, give: hs256(t, hsHeader, `{}`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "payload not JSON", tokens: hs, give: hs256(t, hsHeader, `user_id=42`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "all present", tokens: hs, give: tok(), giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

func TestParseOversized(t *testing.T) {
	fx := newFixture(t)
	small := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), MaxTokenSize: 100})
	big := hs256(t, hsHeader, claimsJSON(t, "pad", strings.Repeat("x", 8192)))
	atLimit := big
	for pad := 6200; len(atLimit) > DefaultMaxTokenSize; pad-- {
		atLimit = hs256(t, hsHeader, claimsJSON(t, "pad", strings.Repeat("x", pad)))
	}
	tests := []parseTest{
		{name: "validly signed, over the default limit", tokens: fx.hs, give: big, giveType: Access, wantErr: ErrTokenInvalid},
		{name: "megabyte of garbage", tokens: fx.hs, give: strings.Repeat("a.", 1<<19), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "issued token over a small limit", tokens: small, give: issue(t, small, Access, 42), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "just under the default limit", tokens: fx.hs, give: atLimit, giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
	if len(atLimit) > DefaultMaxTokenSize || len(atLimit) < DefaultMaxTokenSize-4 {
		t.Errorf("len(atLimit) = %d, want just under %d", len(atLimit), DefaultMaxTokenSize)
	}
}

func TestParseGarbage(t *testing.T) {
	fx := newFixture(t)
	tok := issue(t, fx.hs, Access, 42)
	sig := segment(tok, 2)
	// The last character of a 32-byte signature carries 2 unused bits:
	// setting one decodes to the same bytes unless decoding is strict.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	loose := replaceSegment(tok, 2, sig[:len(sig)-1]+alphabet[last^1:last^1+1])
	tests := []parseTest{
		{name: "empty", tokens: fx.hs, give: "", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "dots", tokens: fx.hs, give: "..", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "not base64", tokens: fx.hs, give: "!!!.###.$$$", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "standard base64 alphabet", tokens: fx.hs, give: strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+/", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "padded header", tokens: fx.hs, give: replaceSegment(tok, 0, base64.URLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"} `))), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "padded signature", tokens: fx.hs, give: tok + "=", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "non-canonical signature bits", tokens: fx.hs, give: loose, giveType: Access, wantErr: ErrTokenInvalid},
		{name: "space inside", tokens: fx.hs, give: tok[:10] + " " + tok[10:], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "newline at end", tokens: fx.hs, give: tok + "\n", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "CRLF in the signature", tokens: fx.hs, give: tok[:len(tok)-5] + "\r\n" + tok[len(tok)-5:], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "Bearer prefix", tokens: fx.hs, give: "Bearer " + tok, giveType: Access, wantErr: ErrTokenInvalid},
		{name: "NUL byte", tokens: fx.hs, give: tok[:5] + "\x00" + tok[5:], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "invalid UTF-8", tokens: fx.hs, give: "\xff\xfe." + segment(tok, 1) + "." + sig, giveType: Access, wantErr: ErrTokenInvalid},
		{name: "JSON instead of a token", tokens: fx.hs, give: claimsJSON(t), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "valid", tokens: fx.hs, give: tok, giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

func TestParseSegments(t *testing.T) {
	fx := newFixture(t)
	tok := issue(t, fx.hs, Access, 42)
	parts := strings.Split(tok, ".")
	tests := []parseTest{
		{name: "one", tokens: fx.hs, give: parts[0], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "two", tokens: fx.hs, give: parts[0] + "." + parts[1], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "two with trailing dot", tokens: fx.hs, give: parts[0] + "." + parts[1] + ".", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "four", tokens: fx.hs, give: tok + "." + parts[2], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "four with empty last", tokens: fx.hs, give: tok + ".", giveType: Access, wantErr: ErrTokenInvalid},
		{name: "five (JWE)", tokens: fx.hs, give: tok + ".." + parts[2], giveType: Access, wantErr: ErrTokenInvalid},
		{name: "three", tokens: fx.hs, give: tok, giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

// TestParseKeyID checks that an HS256 kid is compared with KeyID and
// never chooses a key: without a KeyID, any kid is unknown.
func TestParseKeyID(t *testing.T) {
	fx := newFixture(t)
	withKid := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), KeyID: "k1"})
	claims := claimsJSON(t)
	kid := func(k string) string { return hs256(t, `{"alg":"HS256","kid":`+k+`,"typ":"JWT"}`, claims) }
	tests := []parseTest{
		{name: "path traversal", tokens: withKid, give: kid(`"../../etc/passwd"`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "dev null", tokens: withKid, give: kid(`"/dev/null"`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "other", tokens: withKid, give: kid(`"other"`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "sql", tokens: withKid, give: kid(`"' UNION SELECT 'x"`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "empty", tokens: withKid, give: kid(`""`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "case differs", tokens: withKid, give: kid(`"K1"`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "a number", tokens: withKid, give: kid(`1`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "a list", tokens: withKid, give: kid(`["k1"]`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "null", tokens: withKid, give: kid(`null`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "the configured kid", tokens: withKid, give: kid(`"k1"`), giveType: Access, wantErr: nil},
		{name: "issued with the kid", tokens: withKid, give: issue(t, withKid, Access, 42), giveType: Access, wantErr: nil},
		{name: "no kid", tokens: withKid, give: hs256(t, hsHeader, claims), giveType: Access, wantErr: nil},
		{name: "no KeyID configured: kid unknown", tokens: fx.hs, give: kid(`"../../etc/passwd"`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no KeyID configured: empty kid unknown", tokens: fx.hs, give: kid(`""`), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "no KeyID configured: still the configured key", tokens: fx.hs, give: sign(t, `{"alg":"HS256","kid":"../../dev/null"}`, claims, jwt.SigningMethodHS256, []byte{}), giveType: Access, wantErr: ErrTokenInvalid},
	}
	runParseTests(t, tests)
}

func TestParseAudienceIssuer(t *testing.T) {
	fx := newFixture(t)
	strict := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), Audience: "drover-api", Issuer: "https://drover.example"})
	tok := func(kv ...any) string {
		return hs256(t, hsHeader, claimsJSON(t, append([]any{"aud", "drover-api", "iss", "https://drover.example"}, kv...)...))
	}
	tests := []parseTest{
		{name: "both match", tokens: strict, give: tok(), giveType: Access, wantErr: nil},
		{name: "issued by strict", tokens: strict, give: issue(t, strict, Refresh, 42), giveType: Refresh, wantErr: nil},
		{name: "aud in a list", tokens: strict, give: tok("aud", []string{"other", "drover-api"}), giveType: Access, wantErr: nil},
		{name: "aud mismatch", tokens: strict, give: tok("aud", "other-api"), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "aud missing", tokens: strict, give: tok("aud", nil), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "aud empty list", tokens: strict, give: tok("aud", []string{}), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "aud a number", tokens: strict, give: tok("aud", 1), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "iss mismatch", tokens: strict, give: tok("iss", "https://evil.example"), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "iss prefix", tokens: strict, give: tok("iss", "https://drover.example.evil"), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "iss missing", tokens: strict, give: tok("iss", nil), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "token of an unconfigured issuer", tokens: strict, give: issue(t, fx.hs, Access, 42), giveType: Access, wantErr: ErrTokenInvalid},
		{name: "unconfigured parser ignores aud and iss", tokens: fx.hs, give: tok("aud", "other-api", "iss", "x"), giveType: Access, wantErr: nil},
	}
	runParseTests(t, tests)
}

// TestParseErrorDetail checks that errors say why, for logs.
func TestParseErrorDetail(t *testing.T) {
	fx := newFixture(t)
	withKid := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), KeyID: "k1"})
	strict := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), Audience: "a", Issuer: "i"})
	tok := func(kv ...any) string { return hs256(t, hsHeader, claimsJSON(t, kv...)) }
	tests := []struct {
		name   string
		tokens *Tokens
		give   string
		want   string
	}{
		{name: "expired", tokens: fx.hs, give: tok("exp", 1), want: "token invalid: expired"},
		{name: "not yet valid", tokens: fx.hs, give: tok("nbf", testNow.Unix()+10), want: "token invalid: not yet valid"},
		{name: "issued in the future", tokens: fx.hs, give: tok("iat", testNow.Unix()+10), want: "token invalid: issued in the future"},
		{name: "malformed", tokens: fx.hs, give: "a.b", want: "token invalid: malformed"},
		{name: "truncated", tokens: fx.hs, give: tok()[:40], want: "token invalid: malformed"},
		{name: "wrong key", tokens: fx.hs, give: issue(t, newTestTokens(t, TokenConfig{Secret: []byte(strings.ToUpper(testSecret))}), Access, 1), want: "token invalid: bad signature or algorithm"},
		{name: "kid", tokens: withKid, give: hs256(t, `{"alg":"HS256","kid":"x"}`, claimsJSON(t)), want: "token invalid: unknown kid"},
		{name: "crit", tokens: fx.hs, give: hs256(t, `{"alg":"HS256","crit":["x"]}`, claimsJSON(t)), want: "token invalid: crit header not supported"},
		{name: "audience", tokens: strict, give: tok("aud", "b", "iss", "i"), want: "token invalid: wrong audience"},
		{name: "issuer", tokens: strict, give: tok("aud", "a", "iss", "j"), want: "token invalid: wrong issuer"},
		{name: "no exp", tokens: fx.hs, give: tok("exp", nil), want: "token invalid: token has no exp claim"},
		{name: "oversized", tokens: fx.hs, give: strings.Repeat("a", 8193), want: "token invalid: longer than 8192 bytes"},
		{name: "no jti", tokens: fx.hs, give: tok("jti", nil), want: "token invalid: token has no jti claim"},
		{name: "no token_type", tokens: fx.hs, give: tok("token_type", nil), want: "token invalid: token has no token_type claim"},
		{name: "no user_id", tokens: fx.hs, give: tok("user_id", nil), want: "token invalid: token has no user_id claim"},
		{name: "user_id", tokens: fx.hs, give: tok("user_id", 0), want: "token invalid: user_id not a positive integer"},
		{name: "wrong type", tokens: fx.hs, give: tok("token_type", "refresh"), want: "token has wrong type: refresh token where access was expected"},
		{name: "unknown type", tokens: fx.hs, give: tok("token_type", "sliding"), want: "token has wrong type: unknown token_type where access was expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.tokens.Parse(tt.give, Access)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q, access) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}
