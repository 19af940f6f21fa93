package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestParseRotation checks how a token's kid chooses among the signing
// key and the verify keys of a rotation, and that it chooses nothing
// else.
func TestParseRotation(t *testing.T) {
	newPriv, newPub := generateKey(t, "ES256")
	oldPriv, oldPub := generateKey(t, "ES256")
	evilPriv, evilPub := generateKey(t, "ES256")
	newKid, oldKid, evilKid := mustThumbprint(t, "ES256", newPub), mustThumbprint(t, "ES256", oldPub), mustThumbprint(t, "ES256", evilPub)
	rotated := newTestTokens(t, TokenConfig{Algorithm: "ES256", PrivateKeyPEM: newPriv, VerifyKeysPEM: [][]byte{oldPub}})
	before := newTestTokens(t, TokenConfig{Algorithm: "ES256", PrivateKeyPEM: oldPriv})
	claims := claimsJSON(t)
	es := func(priv []byte, kid string) string {
		header := `{"alg":"ES256","typ":"JWT"}`
		if kid != "" {
			header = `{"alg":"ES256","kid":"` + kid + `","typ":"JWT"}`
		}
		return sign(t, header, claims, jwt.SigningMethodES256, privateKey(t, "ES256", priv))
	}

	const current = "hs256-current-secret-0123456789abcdef"
	const previous = "hs256-previous-secret-0123456789abcdef"
	const unrelated = "hs256-unrelated-secret-0123456789abcdef"
	hsRotated := newTestTokens(t, TokenConfig{Secret: []byte(current), PreviousSecrets: [][]byte{[]byte(previous)}})
	hsRotatedKid := newTestTokens(t, TokenConfig{Secret: []byte(current), PreviousSecrets: [][]byte{[]byte(previous)}, KeyID: "prod"})
	hsBefore := newTestTokens(t, TokenConfig{Secret: []byte(previous)})
	hsBeforeKid := newTestTokens(t, TokenConfig{Secret: []byte(previous), KeyID: "prod"})
	hs := func(secret, header string) string {
		return sign(t, header, claims, jwt.SigningMethodHS256, []byte(secret))
	}

	tests := []struct {
		name    string
		tokens  *Tokens
		give    string
		wantErr string // "" for a token Parse accepts
	}{
		{name: "issued with the signing key's kid", tokens: rotated, give: issue(t, rotated, Access, 42)},
		{name: "the signing key's kid", tokens: rotated, give: es(newPriv, newKid)},
		{name: "no kid: the signing key", tokens: rotated, give: es(newPriv, "")},
		{name: "issued before the rotation, with the old kid", tokens: rotated, give: issue(t, before, Access, 42)},
		{name: "a verify key's kid", tokens: rotated, give: es(oldPriv, oldKid)},
		{name: "no kid is not a verify key", tokens: rotated, give: es(oldPriv, ""), wantErr: "token invalid: bad signature or algorithm"},
		{name: "unknown kid", tokens: rotated, give: es(newPriv, "2024-key"), wantErr: "token invalid: unknown kid"},
		{name: "an unconfigured key's own kid", tokens: rotated, give: es(evilPriv, evilKid), wantErr: "token invalid: unknown kid"},
		{name: "forged with the signing key's kid", tokens: rotated, give: es(evilPriv, newKid), wantErr: "token invalid: bad signature or algorithm"},
		{name: "forged with a verify key's kid", tokens: rotated, give: es(evilPriv, oldKid), wantErr: "token invalid: bad signature or algorithm"},
		{name: "signed by the old key with the new kid", tokens: rotated, give: es(oldPriv, newKid), wantErr: "token invalid: bad signature or algorithm"},
		{name: "kid a number", tokens: rotated, give: sign(t, `{"alg":"ES256","kid":7}`, claims, jwt.SigningMethodES256, privateKey(t, "ES256", newPriv)), wantErr: "token invalid: unknown kid"},
		{name: "the old key alone refuses the new key's tokens", tokens: before, give: issue(t, rotated, Access, 42), wantErr: "token invalid: unknown kid"},

		{name: "HS256 current secret", tokens: hsRotated, give: issue(t, hsRotated, Access, 42)},
		{name: "HS256 previous secret", tokens: hsRotated, give: issue(t, hsBefore, Access, 42)},
		{name: "HS256 unrelated secret", tokens: hsRotated, give: hs(unrelated, hsHeader), wantErr: "token invalid: bad signature or algorithm"},
		{name: "HS256 previous secret with a kid", tokens: hsRotated, give: hs(previous, `{"alg":"HS256","kid":"prod","typ":"JWT"}`), wantErr: "token invalid: unknown kid"},
		{name: "HS256 KeyID: previous secret with the kid", tokens: hsRotatedKid, give: issue(t, hsBeforeKid, Access, 42)},
		{name: "HS256 KeyID: previous secret without kid", tokens: hsRotatedKid, give: issue(t, hsBefore, Access, 42)},
		{name: "HS256 KeyID: unrelated secret with the kid", tokens: hsRotatedKid, give: hs(unrelated, `{"alg":"HS256","kid":"prod","typ":"JWT"}`), wantErr: "token invalid: bad signature or algorithm"},
		{name: "HS256 KeyID: another kid", tokens: hsRotatedKid, give: hs(previous, `{"alg":"HS256","kid":"staging","typ":"JWT"}`), wantErr: "token invalid: unknown kid"},
		{name: "HS256 the previous secret alone refuses the current's tokens", tokens: hsBefore, give: issue(t, hsRotated, Access, 42), wantErr: "token invalid: bad signature or algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.tokens.Parse(tt.give, Access)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr || err == nil && got.UserID != 42 {
				t.Errorf("Parse(%q, access) = %+v, %v; want error %q", tt.give, got, err, tt.wantErr)
			}
		})
	}
}

// TestIssueRotated checks that the verify keys and previous secrets never
// sign: a rotated Tokens issues with its signing key and its kid.
func TestIssueRotated(t *testing.T) {
	_, oldPub := generateKey(t, "EdDSA")
	rotated := newTestTokens(t, TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem"), VerifyKeysPEM: [][]byte{oldPub}})
	current := newTestTokens(t, TokenConfig{Algorithm: "EdDSA", PublicKeyPEM: readKey(t, "ed25519.pub.pem")})
	tok := issue(t, rotated, Access, 42)
	if h, want := decodeSegment(t, tok, 0), `{"alg":"EdDSA","kid":"pkSTaD4BNAnWGFK78IX5iYuAxcPr17ooqFwzCXjtHtI","typ":"JWT"}`; h != want {
		t.Errorf("header of %q = %s, want %s", tok, h, want)
	}
	if _, err := current.Parse(tok, Access); err != nil {
		t.Errorf("Parse(%q) with the signing key alone = %v, want nil", tok, err)
	}

	hs := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), PreviousSecrets: [][]byte{[]byte(strings.ToUpper(testSecret))}})
	tok = issue(t, hs, Access, 42)
	if h := decodeSegment(t, tok, 0); h != hsHeader {
		t.Errorf("header of %q = %s, want simplejwt's %s", tok, h, hsHeader)
	}
	if !hmacSigned(tok) {
		t.Errorf("Issue() = %q, not signed with Secret", tok)
	}
}

func TestNewTokensRotationErrors(t *testing.T) {
	_, edPub := generateKey(t, "EdDSA")
	_, rsPub := generateKey(t, "RS256")
	tests := []struct {
		name    string
		give    TokenConfig
		wantErr string
		wantIs  error
	}{
		{name: "verify keys with HS256", give: TokenConfig{Secret: []byte(testSecret), VerifyKeysPEM: [][]byte{edPub}}, wantErr: "HS256 uses Secret and PreviousSecrets, not PEM keys"},
		{name: "previous secrets with EdDSA", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem"), PreviousSecrets: [][]byte{[]byte(testSecret)}}, wantErr: "EdDSA uses PEM keys, not Secret or PreviousSecrets"},
		{name: "weak previous secret", give: TokenConfig{Secret: []byte(testSecret), PreviousSecrets: [][]byte{[]byte("short")}}, wantErr: "token previous secret 0", wantIs: ErrWeakSecret},
		{name: "verify key of another algorithm", give: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(t, "rsa2048.pem"), VerifyKeysPEM: [][]byte{rsPub, edPub}}, wantErr: "token RS256 verify key 1: an Ed25519 key cannot be used with RS256"},
		{name: "verify key a private key", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem"), VerifyKeysPEM: [][]byte{readKey(t, "ed25519.pem")}}, wantErr: `verify key 0: PEM block "PRIVATE KEY" is not PUBLIC KEY (PKIX)`},
		{name: "verify key of two blocks", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem"), VerifyKeysPEM: [][]byte{append(edPub, readKey(t, "ed25519.pub.pem")...)}}, wantErr: "verify key 0: more than one PEM block"},
		{name: "verify key not PEM", give: TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.pem"), VerifyKeysPEM: [][]byte{[]byte("not a key")}}, wantErr: "verify key 0: no PEM block found"},
		{name: "KeyID another key's thumbprint", give: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem"), KeyID: mustThumbprint(t, "EdDSA", edPub), VerifyKeysPEM: [][]byte{edPub}}, wantErr: "is the signing key's KeyID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTokens(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("NewTokens() = %v, want an error containing %q (is %v)", err, tt.wantErr, tt.wantIs)
			}
		})
	}
}

func TestCheckVerifyKey(t *testing.T) {
	tests := []struct {
		name    string
		giveAlg string
		give    []byte
		wantErr string // "" for a key CheckVerifyKey accepts
	}{
		{name: "EdDSA", giveAlg: "EdDSA", give: readKey(t, "ed25519.pub.pem")},
		{name: "ES256", giveAlg: "ES256", give: readKey(t, "ec-p256.pub.pem")},
		{name: "RS256", giveAlg: "RS256", give: readKey(t, "rsa2048.pub.pem")},
		{name: "wrong algorithm", giveAlg: "ES256", give: readKey(t, "rsa2048.pub.pem"), wantErr: "an RSA key cannot be used with ES256"},
		{name: "private key", giveAlg: "RS256", give: readKey(t, "rsa2048.pem"), wantErr: `PEM block "PRIVATE KEY" is not PUBLIC KEY (PKIX)`},
		{name: "HS256", giveAlg: "HS256", give: readKey(t, "rsa2048.pub.pem"), wantErr: `token algorithm "HS256" has no public keys`},
		{name: "empty", giveAlg: "EdDSA", give: nil, wantErr: "no PEM block found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckVerifyKey(tt.giveAlg, tt.give)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("CheckVerifyKey(%q, …) = %v, want %q", tt.giveAlg, err, tt.wantErr)
			}
		})
	}
}

// mustThumbprint is the thumbprint of a PEM public key of alg.
func mustThumbprint(t testing.TB, alg string, pubPEM []byte) string {
	t.Helper()
	pub, err := parsePublicKey(alg, pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	k, err := Thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
