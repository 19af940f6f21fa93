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

// EnvSecretKeyPrevious holds the previous HS256 key of a rotation itself,
// which verifies tokens but signs none; empty is none.
const EnvSecretKeyPrevious = EnvPrefix + "SECRET_KEY_PREVIOUS"

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
	// PreviousSecret is the previous HS256 key of a rotation, which
	// verifies tokens but signs none; nil for none.
	PreviousSecret Secret
	// PrivateKey is the PEM private key of an asymmetric algorithm.
	PrivateKey Secret
	// PublicKey is the PEM public key of an asymmetric algorithm.
	PublicKey []byte
	// VerifyKeys are the PEM public keys of Auth.VerifyKeyFiles, in their
	// order. Public, but typed Secret as the rest of the key material, so
	// that no stray %v puts a key in a log line.
	VerifyKeys []Secret
	// Source says where the signing key came from, for log lines.
	Source string
}

// ErrNoSigningKey means no signing key was configured. It names no
// setting: the user gave none, and it says both ways to give one.
var ErrNoSigningKey = errors.New("no signing key is set: give one as " + EnvSecretKey + " (the key itself) or --secret-key-file (a file holding it), at least 32 random bytes, such as the output of: head -c 32 /dev/urandom | base64")

// LoadKeys reads the keys the configuration names into c.Auth.Keys:
// DROVER_SECRET_KEY or --secret-key-file for HS256, and the previous key
// from DROVER_SECRET_KEY_PREVIOUS or --secret-key-previous-file; the PEM
// files for the asymmetric algorithms, each --jwt-verify-key-file checked
// to be a public key of the algorithm. lookup reads the environment
// ([Table.LookupEnv] reads a program's own variables first). Its errors
// name the setting, but for ErrNoSigningKey: no key at all, where the
// user gave no setting to name. The supervisor calls it at the start and
// on every HUP, so a HUP re-reads every key file.
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
	return c.loadPreviousSecret(lookup)
}

// loadPreviousSecret reads the previous HS256 key, if one is given.
func (c *Config) loadPreviousSecret(lookup func(string) (string, bool)) error {
	a := &c.Auth
	setting := "secret-key-previous-file"
	env, fromEnv := lookup(EnvSecretKeyPrevious)
	fromEnv = fromEnv && env != ""
	switch {
	case fromEnv && a.SecretKeyPreviousFile != "":
		return &Error{Setting: setting, Err: fmt.Errorf("%s is set too; use one of them", EnvSecretKeyPrevious)}
	case fromEnv:
		a.Keys.PreviousSecret, setting = Secret(env), EnvSecretKeyPrevious
	case a.SecretKeyPreviousFile != "":
		data, err := readKeyFile(a.SecretKeyPreviousFile)
		if err != nil {
			return &Error{Setting: setting, Err: err}
		}
		a.Keys.PreviousSecret = Secret(bytes.TrimRight(data, "\r\n"))
	default:
		return nil
	}
	if n := len(a.Keys.PreviousSecret); n < auth.MinSecretSize {
		return &Error{Setting: setting, Err: fmt.Errorf("the previous signing key is %d bytes; at least %d are needed", n, auth.MinSecretSize)}
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
	for _, path := range a.VerifyKeyFiles {
		data, err := readKeyFile(path)
		if err == nil {
			if err = auth.CheckVerifyKey(a.Algorithm, data); err != nil {
				err = fmt.Errorf("%s: %w", path, err)
			}
		}
		if err != nil {
			return &Error{Setting: "jwt-verify-key-file", Err: err}
		}
		a.Keys.VerifyKeys = append(a.Keys.VerifyKeys, data)
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
