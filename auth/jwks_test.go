package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

// keyFromJWK rebuilds the public key a JWK describes, independently of
// marshalJWKS.
func keyFromJWK(t *testing.T, k map[string]string) crypto.PublicKey {
	t.Helper()
	dec := func(name string) []byte {
		b, err := base64.RawURLEncoding.Strict().DecodeString(k[name])
		if err != nil {
			t.Fatalf("jwk member %q = %q: %v", name, k[name], err)
		}
		return b
	}
	switch k["kty"] + " " + k["crv"] {
	case "OKP Ed25519":
		return ed25519.PublicKey(dec("x"))
	case "EC P-256":
		x, y := dec("x"), dec("y")
		if len(x) != 32 || len(y) != 32 {
			t.Fatalf("jwk x, y are %d and %d bytes, want 32 each", len(x), len(y))
		}
		point := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	case "RSA ":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(dec("n")), E: int(new(big.Int).SetBytes(dec("e")).Int64())}
	}
	t.Fatalf("unexpected jwk %v", k)
	return nil
}

func TestTokensJWKS(t *testing.T) {
	tests := []struct {
		name     string
		give     TokenConfig
		wantPub  string // testdata file of the public key
		wantKeys string // the JWK's members other than the key itself
	}{
		{
			name:     "EdDSA",
			give:     TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem")},
			wantPub:  "ed25519.pub.pem",
			wantKeys: "alg=EdDSA crv=Ed25519 kid=pkSTaD4BNAnWGFK78IX5iYuAxcPr17ooqFwzCXjtHtI kty=OKP use=sig",
		},
		{
			name:     "ES256 with key ID",
			give:     TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.sec1.pem"), KeyID: "2025-01"},
			wantPub:  "ec-p256.pub.pem",
			wantKeys: "alg=ES256 crv=P-256 kid=2025-01 kty=EC use=sig",
		},
		{
			name:     "RS256 from a public key only",
			give:     TokenConfig{Algorithm: "RS256", PublicKeyPEM: readKey(t, "rsa2048.pub.pem")},
			wantPub:  "rsa2048.pub.pem",
			wantKeys: "alg=RS256 kid=qbECVHDkdXaDNi_9_K_oEqyb6nyYuMjARtBG94hcjXE kty=RSA use=sig",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTestTokens(t, tt.give)
			got, err := tk.JWKS()
			if err != nil {
				t.Fatalf("JWKS() error = %v", err)
			}
			var set struct{ Keys []map[string]string }
			if err := json.Unmarshal(got, &set); err != nil || len(set.Keys) != 1 {
				t.Fatalf("JWKS() = %s (%v), want a set of one key", got, err)
			}
			k := set.Keys[0]
			var members []string
			for _, name := range []string{"alg", "crv", "kid", "kty", "use"} {
				if v, ok := k[name]; ok {
					members = append(members, name+"="+v)
				}
			}
			if m := strings.Join(members, " "); m != tt.wantKeys {
				t.Errorf("JWKS() = %s, members %s, want %s", got, m, tt.wantKeys)
			}
			want, err := parsePublicKey(k["alg"], readKey(t, tt.wantPub))
			if err != nil {
				t.Fatal(err)
			}
			if pub := keyFromJWK(t, k); !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
				t.Errorf("JWKS() = %s, whose key is not %s", got, tt.wantPub)
			}
		})
	}
}

func TestTokensJWKSCopy(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(t, "ed25519.pem")})
	first, _ := tk.JWKS()
	want := bytes.Clone(first)
	clear(first)
	if second, _ := tk.JWKS(); !bytes.Equal(second, want) {
		t.Errorf("JWKS() after the caller changed the first result = %q, want %q", second, want)
	}
}

func TestTokensJWKSSymmetric(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	if got, err := tk.JWKS(); err == nil || got != nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("JWKS() for HS256 = %q, %v; want nil and an error without the secret", got, err)
	}
}

// TestThumbprint checks the kid drover gives a key against the RFC's own
// examples: RFC 7638, section 3.1 (RSA) and RFC 8037, appendix A.3
// (Ed25519).
func TestThumbprint(t *testing.T) {
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		give crypto.PublicKey
		want string
	}{
		{
			name: "RFC 7638 RSA",
			give: &rsa.PublicKey{
				N: new(big.Int).SetBytes(dec("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")),
				E: 65537,
			},
			want: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
		},
		{
			name: "RFC 8037 Ed25519",
			give: ed25519.PublicKey(dec("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")),
			want: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Thumbprint(tt.give); err != nil || got != tt.want {
				t.Errorf("Thumbprint() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestTokensJWKSRotation checks the set of a rotation: the signing key
// first, then each verify key once, each with its kid.
func TestTokensJWKSRotation(t *testing.T) {
	_, oldPub := generateKey(t, "ES256")
	_, olderPub := generateKey(t, "ES256")
	signing := "NYmZY6RvaKAYdLryWoiQjOA5fsCFe59ZWmN9pKZ53K4" // ec-p256.pub.pem's thumbprint
	old, older := mustThumbprint(t, "ES256", oldPub), mustThumbprint(t, "ES256", olderPub)
	tests := []struct {
		name     string
		give     TokenConfig
		wantKids []string
	}{
		{
			name:     "verify keys after the signing key",
			give:     TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.pem"), VerifyKeysPEM: [][]byte{oldPub, olderPub}},
			wantKids: []string{signing, old, older},
		},
		{
			name:     "duplicates and the signing key once",
			give:     TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.pem"), VerifyKeysPEM: [][]byte{oldPub, readKey(t, "ec-p256.pub.pem"), oldPub}},
			wantKids: []string{signing, old},
		},
		{
			name:     "KeyID names the signing key alone",
			give:     TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(t, "ec-p256.pem"), KeyID: "2025-01", VerifyKeysPEM: [][]byte{oldPub}},
			wantKids: []string{"2025-01", old},
		},
		{
			name:     "verify only",
			give:     TokenConfig{Algorithm: "ES256", PublicKeyPEM: readKey(t, "ec-p256.pub.pem"), VerifyKeysPEM: [][]byte{olderPub}},
			wantKids: []string{signing, older},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newTestTokens(t, tt.give).JWKS()
			if err != nil {
				t.Fatalf("JWKS() error = %v", err)
			}
			var set struct{ Keys []map[string]string }
			if err := json.Unmarshal(got, &set); err != nil {
				t.Fatal(err)
			}
			var kids []string
			for _, k := range set.Keys {
				kids = append(kids, k["kid"])
				if k["alg"] != "ES256" || k["use"] != "sig" {
					t.Errorf("JWKS() key %v: want alg ES256, use sig", k)
				}
			}
			if strings.Join(kids, " ") != strings.Join(tt.wantKids, " ") {
				t.Errorf("JWKS() = %s, kids %q, want %q", got, kids, tt.wantKids)
			}
			pub := keyFromJWK(t, set.Keys[len(set.Keys)-1])
			if thumb, _ := Thumbprint(pub); thumb != tt.wantKids[len(tt.wantKids)-1] {
				t.Errorf("JWKS() last key's thumbprint = %s, want its kid %s", thumb, tt.wantKids[len(tt.wantKids)-1])
			}
		})
	}
}
