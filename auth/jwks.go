package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
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

// JWKS returns the JSON Web Key Set (RFC 7517, section 5) of the public
// keys tokens are verified with, for other services to verify drover's
// tokens: {"keys":[{"kty":…,"use":"sig","alg":…,"kid":…,…},…]}, the
// signing key first (with [TokenConfig.KeyID] as its kid when set, its
// RFC 7638 thumbprint otherwise), then each of
// [TokenConfig.VerifyKeysPEM] with its thumbprint, each key once. It is
// an error for HS256, whose keys are secret. The returned slice is the
// caller's.
func (t *Tokens) JWKS() ([]byte, error) {
	if t.jwks == nil {
		return nil, fmt.Errorf("jwks: %s has no public key to publish", t.alg)
	}
	return append([]byte(nil), t.jwks...), nil
}

// JWKS is the key set of the service's tokens ([Tokens.JWKS]), for the
// API to publish.
func (s *Service) JWKS() ([]byte, error) { return s.cfg.Tokens.JWKS() }

// publicJWK is the JWK of pub, without use, alg and kid.
func publicJWK(pub crypto.PublicKey) (jwk, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var k jwk
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		k.Kty, k.Crv, k.X = "OKP", "Ed25519", b64(pub)
	case *ecdsa.PublicKey:
		point, err := pub.Bytes() // 0x04 || X || Y, coordinates at full width
		if err != nil {
			return jwk{}, fmt.Errorf("jwk: %w", err)
		}
		size := (len(point) - 1) / 2
		k.Kty, k.Crv = "EC", pub.Curve.Params().Name
		k.X, k.Y = b64(point[1:1+size]), b64(point[1+size:])
	case *rsa.PublicKey:
		k.Kty, k.N, k.E = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
	default:
		return jwk{}, fmt.Errorf("jwk: unsupported key type %T", pub)
	}
	return k, nil
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub: the unpadded
// base64url SHA-256 of its JWK's required members (crv, e, kty, n, x, y,
// those the key type has), in lexicographic order, without whitespace.
// It is the kid drover gives an asymmetric key by default: it depends on
// the key alone, so every host holding the key agrees on it without being
// told. pub is an Ed25519, ECDSA or RSA public key.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	k, err := publicJWK(pub)
	if err != nil {
		return "", err
	}
	return thumbprint(k), nil
}

// thumbprint is the RFC 7638 thumbprint of k.
func thumbprint(k jwk) string {
	// The fields in lexicographic order of their names, the members a
	// key type lacks left out: the canonical form of every key type
	// (RFC 7638, section 3.2; RFC 8037, section 2 for OKP). Their values
	// are base64url and curve names, which JSON writes unescaped.
	canonical, _ := json.Marshal(struct { // cannot fail: strings only
		Crv string `json:"crv,omitempty"`
		E   string `json:"e,omitempty"`
		Kty string `json:"kty"`
		N   string `json:"n,omitempty"`
		X   string `json:"x,omitempty"`
		Y   string `json:"y,omitempty"`
	}{k.Crv, k.E, k.Kty, k.N, k.X, k.Y})
	sum := sha256.Sum256(canonical)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// marshalJWKS encodes the key set of keys, in their order.
func marshalJWKS(alg string, keys []verifyKey) ([]byte, error) {
	set := make([]jwk, 0, len(keys))
	for _, vk := range keys {
		k, err := publicJWK(vk.key)
		if err != nil {
			return nil, err
		}
		k.Use, k.Alg, k.Kid = "sig", alg, vk.kid
		set = append(set, k)
	}
	b, err := json.Marshal(struct {
		Keys []jwk `json:"keys"`
	}{set})
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return b, nil
}
