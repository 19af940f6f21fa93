package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// minRSABits is the smallest RSA modulus accepted for RS256 (RFC 7518,
// section 3.3).
const minRSABits = 2048

// parseKeyPair reads the PEM keys of an asymmetric algorithm: the private
// key (PKCS#8, SEC1 EC or PKCS#1 RSA) if given, the public key (PKIX) if
// given, and checks that both suit alg and belong together. With only a
// private key the public key is derived from it; with only a public key
// the tokens verify but cannot issue (sign is nil).
func parseKeyPair(alg string, privPEM, pubPEM []byte) (sign crypto.Signer, verify crypto.PublicKey, err error) {
	if len(privPEM) == 0 && len(pubPEM) == 0 {
		return nil, nil, fmt.Errorf("%s needs a private key (PrivateKeyPEM) or a public key (PublicKeyPEM)", alg)
	}
	if len(privPEM) > 0 {
		if sign, err = parsePrivateKey(alg, privPEM); err != nil {
			return nil, nil, fmt.Errorf("private key: %w", err)
		}
		verify = sign.Public()
	}
	if len(pubPEM) > 0 {
		pub, err := parsePublicKey(alg, pubPEM)
		if err != nil {
			return nil, nil, fmt.Errorf("public key: %w", err)
		}
		if verify != nil && !equalKeys(pub, verify) {
			return nil, nil, errors.New("public key does not belong to the private key")
		}
		verify = pub
	}
	return sign, verify, nil
}

// parsePrivateKey reads one PEM private key and checks it suits alg.
func parsePrivateKey(alg string, data []byte) (crypto.Signer, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", block.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%T is not a signing key", key)
	}
	if err := checkKey(alg, signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// parsePublicKey reads one PKIX PEM public key and checks it suits alg.
func parsePublicKey(alg string, data []byte) (crypto.PublicKey, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block %q is not PUBLIC KEY (PKIX)", block.Type)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PUBLIC KEY: %w", err)
	}
	if err := checkKey(alg, key); err != nil {
		return nil, err
	}
	return key, nil
}

// parseVerifyKey reads a verify key of [TokenConfig.VerifyKeysPEM]: one
// PKIX PEM public key that suits alg, and nothing else. A second block
// is refused rather than ignored: a file of several keys would otherwise
// verify with its first alone.
func parseVerifyKey(alg string, data []byte) (crypto.PublicKey, error) {
	if _, rest := pem.Decode(data); rest != nil {
		if next, _ := pem.Decode(rest); next != nil {
			return nil, errors.New("more than one PEM block; give each key on its own")
		}
	}
	return parsePublicKey(alg, data)
}

// CheckVerifyKey reports why data cannot be one of
// [TokenConfig.VerifyKeysPEM] for alg ("EdDSA", "ES256" or "RS256"): not
// a single PKIX PEM public key, or a key of another algorithm (or an RSA
// key under 2048 bits). It is the check [NewTokens] makes of each, for a
// caller that reads the keys from files to name the file at fault.
func CheckVerifyKey(alg string, data []byte) error {
	switch alg {
	case "EdDSA", "ES256", "RS256":
	default:
		return fmt.Errorf("token algorithm %q has no public keys", alg)
	}
	_, err := parseVerifyKey(alg, data)
	return err
}

// equalKeys reports whether two public keys of the kinds checkKey accepts
// are the same key.
func equalKeys(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// decodePEM returns the first PEM block of data, refusing encrypted keys.
func decodePEM(data []byte) (*pem.Block, error) {
	block, _ := pem.Decode(data)
	switch {
	case block == nil:
		return nil, errors.New("no PEM block found")
	case block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "":
		return nil, errors.New("encrypted PEM keys are not supported; decrypt it first")
	}
	return block, nil
}

// checkKey reports whether pub is a key of the kind alg signs with: an
// Ed25519 key for EdDSA, a P-256 key for ES256, an RSA key of at least
// 2048 bits for RS256.
func checkKey(alg string, pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if alg == "EdDSA" {
			return nil
		}
	case *ecdsa.PublicKey:
		if alg == "ES256" {
			if k.Curve != elliptic.P256() {
				return fmt.Errorf("ES256 needs a P-256 key, not %s", k.Curve.Params().Name)
			}
			return nil
		}
	case *rsa.PublicKey:
		if alg == "RS256" {
			if k.N.BitLen() < minRSABits {
				return fmt.Errorf("RS256 needs an RSA key of at least %d bits, not %d", minRSABits, k.N.BitLen())
			}
			return nil
		}
	default:
		return fmt.Errorf("unsupported key type %T", pub)
	}
	return fmt.Errorf("%s key cannot be used with %s", keyKind(pub), alg)
}

// signatureSize returns the length of the signatures made with the
// private key of pub: 64 bytes for Ed25519 and P-256 (r || s), the
// modulus size for RSA.
func signatureSize(pub crypto.PublicKey) int {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return 2 * ((k.Curve.Params().BitSize + 7) / 8)
	case *rsa.PublicKey:
		return k.Size()
	}
	return ed25519.SignatureSize
}

// keyKind names the kind of a public key for error messages.
func keyKind(pub crypto.PublicKey) string {
	switch pub.(type) {
	case ed25519.PublicKey:
		return "an Ed25519"
	case *ecdsa.PublicKey:
		return "an EC"
	case *rsa.PublicKey:
		return "an RSA"
	}
	return fmt.Sprintf("a %T", pub)
}
