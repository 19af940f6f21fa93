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
			wantKeys: "alg=EdDSA crv=Ed25519 kty=OKP use=sig",
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
			wantKeys: "alg=RS256 kty=RSA use=sig",
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
