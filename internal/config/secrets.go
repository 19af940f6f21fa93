package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/drover/drover/auth"
)

// EnvSecretKey holds the HS256 signing key itself. Secrets come from the
// environment or from files, never from flags or the config file.
const EnvSecretKey = EnvPrefix + "SECRET_KEY"

// Secret is key material. It travels to workers in the Config message but
// prints as [redacted], so a stray %v or log field does not leak it.
type Secret []byte

// String implements fmt.Stringer without revealing the secret.
func (s Secret) String() string { return "[redacted]" }

// GoString implements fmt.GoStringer without revealing the secret.
func (s Secret) GoString() string { return "config.Secret([redacted])" }

// Keys is the key material LoadKeys read.
type Keys struct {
	// Secret is the HS256 key.
	Secret Secret
	// PrivateKey is the PEM private key of an asymmetric algorithm.
	PrivateKey Secret
	// PublicKey is the PEM public key of an asymmetric algorithm.
	PublicKey []byte
	// Source says where the signing key came from, for log lines.
	Source string
}

// ErrNoSigningKey means no signing key was configured. It names no
// setting: the user gave none, and it says both ways to give one.
var ErrNoSigningKey = errors.New("no signing key is set: give one as " + EnvSecretKey + " (the key itself) or --secret-key-file (a file holding it), at least 32 random bytes, such as the output of: head -c 32 /dev/urandom | base64")

// LoadKeys reads the signing keys the configuration names into c.Auth.Keys:
// DROVER_SECRET_KEY or --secret-key-file for HS256, the PEM files for the
// asymmetric algorithms. Its errors name the setting, but for
// ErrNoSigningKey: no key at all, where the user gave no setting to name.
func (c *Config) LoadKeys(lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	a := &c.Auth
	if a.Algorithm != "HS256" {
		return c.loadKeyPair()
	}
	env, fromEnv := lookup(EnvSecretKey)
	switch {
	case fromEnv && a.SecretKeyFile != "":
		return &Error{Setting: "secret-key-file", Err: fmt.Errorf("%s is set too; use one of them", EnvSecretKey)}
	case fromEnv:
		a.Keys = Keys{Secret: Secret(env), Source: EnvSecretKey}
	case a.SecretKeyFile != "":
		data, err := readKeyFile(a.SecretKeyFile)
		if err != nil {
			return &Error{Setting: "secret-key-file", Err: err}
		}
		a.Keys = Keys{Secret: Secret(bytes.TrimRight(data, "\r\n")), Source: a.SecretKeyFile}
	default:
		return ErrNoSigningKey
	}
	if n := len(a.Keys.Secret); n < auth.MinSecretSize {
		return &Error{Setting: a.Keys.Source, Err: fmt.Errorf("the signing key is %d bytes; at least %d are needed", n, auth.MinSecretSize)}
	}
	return nil
}

func (c *Config) loadKeyPair() error {
	a := &c.Auth
	a.Keys = Keys{Source: a.PrivateKeyFile}
	if a.PrivateKeyFile != "" {
		data, err := readKeyFile(a.PrivateKeyFile)
		if err != nil {
			return &Error{Setting: "jwt-private-key-file", Err: err}
		}
		a.Keys.PrivateKey = data
	}
	if a.PublicKeyFile != "" {
		data, err := readKeyFile(a.PublicKeyFile)
		if err != nil {
			return &Error{Setting: "jwt-public-key-file", Err: err}
		}
		a.Keys.PublicKey = data
	}
	if a.Keys.PrivateKey == nil && a.Keys.PublicKey == nil {
		return &Error{Setting: "jwt-private-key-file", Err: fmt.Errorf("%s needs a PEM key file", a.Algorithm)}
	}
	return nil
}

// maxKeyFile bounds a key file: anything larger is not a key.
const maxKeyFile = 64 << 10

func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxKeyFile {
		return nil, fmt.Errorf("%s is %d bytes; a key file is at most %d", path, info.Size(), maxKeyFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return data, nil
}
