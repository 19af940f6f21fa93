package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// jwk is one JSON Web Key (RFC 7517) of a public verification key; the
// members are those of RFC 7518, section 6 and RFC 8037 for Ed25519.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// JWKS returns the JSON Web Key Set (RFC 7517, section 5) holding the
// public key tokens are verified with, for other services to verify
// drover's tokens: {"keys":[{"kty":…,"use":"sig","alg":…,…}]}, with "kid"
// when [TokenConfig.KeyID] is set. It is an error for HS256, whose key is
// secret. The returned slice is the caller's.
func (t *Tokens) JWKS() ([]byte, error) {
	if t.jwks == nil {
		return nil, fmt.Errorf("jwks: %s has no public key to publish", t.alg)
	}
	return append([]byte(nil), t.jwks...), nil
}

// marshalJWKS encodes the key set of one public key.
func marshalJWKS(alg, kid string, pub crypto.PublicKey) ([]byte, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	k := jwk{Use: "sig", Alg: alg, Kid: kid}
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		k.Kty, k.Crv, k.X = "OKP", "Ed25519", b64(pub)
	case *ecdsa.PublicKey:
		point, err := pub.Bytes() // 0x04 || X || Y, coordinates at full width
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		size := (len(point) - 1) / 2
		k.Kty, k.Crv = "EC", pub.Curve.Params().Name
		k.X, k.Y = b64(point[1:1+size]), b64(point[1+size:])
	case *rsa.PublicKey:
		k.Kty, k.N, k.E = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
	default:
		return nil, fmt.Errorf("jwks: unsupported key type %T", pub)
	}
	return json.Marshal(struct {
		Keys []jwk `json:"keys"`
	}{[]jwk{k}})
}
