package config_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drover/drover/internal/config"
)

// publicPEM writes a fresh PKIX PEM public key of alg ("EdDSA" or
// "ES256") to a file and returns its path and content.
func publicPEM(t *testing.T, alg string) (string, string) {
	t.Helper()
	var pub any
	switch alg {
	case "EdDSA":
		pub, _, _ = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub = k.Public()
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	data := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return writeFile(t, "verify.pem", data), data
}

func TestLoadKeysPrevious(t *testing.T) {
	current, previous := strings.Repeat("c", 40), strings.Repeat("p", 40)
	previousFile := writeFile(t, "previous.key", previous+"\n")
	shortFile := writeFile(t, "short.key", "short\n")
	tests := []struct {
		name         string
		giveFile     string
		giveEnv      map[string]string
		giveTable    config.Table
		wantPrevious string
		wantErr      string // "" for success
	}{
		{name: "none", giveTable: config.Drover()},
		{name: "file, newline trimmed", giveFile: previousFile, giveTable: config.Drover(), wantPrevious: previous},
		{name: "environment", giveEnv: map[string]string{"DROVER_SECRET_KEY_PREVIOUS": previous}, giveTable: config.Drover(), wantPrevious: previous},
		{name: "empty environment is none", giveEnv: map[string]string{"DROVER_SECRET_KEY_PREVIOUS": ""}, giveTable: config.Drover()},
		{name: "program's variable", giveEnv: map[string]string{"NOTES_SECRET_KEY_PREVIOUS": previous, "DROVER_SECRET_KEY_PREVIOUS": strings.Repeat("d", 40)}, giveTable: *notesTable(true), wantPrevious: previous},
		{name: "both", giveFile: previousFile, giveEnv: map[string]string{"DROVER_SECRET_KEY_PREVIOUS": previous}, giveTable: config.Drover(),
			wantErr: "invalid secret-key-previous-file: DROVER_SECRET_KEY_PREVIOUS is set too; use one of them"},
		{name: "short file", giveFile: shortFile, giveTable: config.Drover(),
			wantErr: "invalid secret-key-previous-file: the previous signing key is 5 bytes; at least 32 are needed"},
		{name: "short environment", giveEnv: map[string]string{"DROVER_SECRET_KEY_PREVIOUS": "x"}, giveTable: config.Drover(),
			wantErr: "invalid DROVER_SECRET_KEY_PREVIOUS: the previous signing key is 1 bytes; at least 32 are needed"},
		{name: "missing file", giveFile: filepath.Join(t.TempDir(), "nope"), giveTable: config.Drover(),
			wantErr: "invalid secret-key-previous-file: stat "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Auth.SecretKeyPreviousFile = tt.giveFile
			env := map[string]string{config.EnvSecretKey: current}
			for k, v := range tt.giveEnv {
				env[k] = v
			}
			err := c.LoadKeys(tt.giveTable.LookupEnv(fakeEnv(env)))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if !strings.HasPrefix(gotErr, tt.wantErr) || (gotErr == "") != (tt.wantErr == "") || err == nil && string(c.Auth.Keys.PreviousSecret) != tt.wantPrevious {
				t.Errorf("LoadKeys() = %v, previous %q; want error %q, previous %q", err, c.Auth.Keys.PreviousSecret, tt.wantErr, tt.wantPrevious)
			}
		})
	}
}

func TestLoadKeysVerifyKeys(t *testing.T) {
	priv := writeFile(t, "priv.pem", ed25519PrivatePEM(t))
	oldFile, oldPEM := publicPEM(t, "EdDSA")
	olderFile, olderPEM := publicPEM(t, "EdDSA")
	ecFile, _ := publicPEM(t, "ES256")
	privAsVerify := priv
	missing := filepath.Join(t.TempDir(), "nope.pem")
	tests := []struct {
		name     string
		giveKeys []string
		wantKeys []string
		wantErr  string // "" for success
	}{
		{name: "none"},
		{name: "two, in order", giveKeys: []string{oldFile, olderFile}, wantKeys: []string{oldPEM, olderPEM}},
		{name: "another algorithm", giveKeys: []string{oldFile, ecFile}, wantErr: "invalid jwt-verify-key-file: " + ecFile + ": an EC key cannot be used with EdDSA"},
		{name: "a private key", giveKeys: []string{privAsVerify}, wantErr: "invalid jwt-verify-key-file: " + priv + `: PEM block "PRIVATE KEY" is not PUBLIC KEY (PKIX)`},
		{name: "missing", giveKeys: []string{missing}, wantErr: "invalid jwt-verify-key-file: stat " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Auth.Algorithm, c.Auth.PrivateKeyFile, c.Auth.VerifyKeyFiles = "EdDSA", priv, tt.giveKeys
			err := c.LoadKeys(fakeEnv(nil))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			var got []string
			for _, k := range c.Auth.Keys.VerifyKeys {
				got = append(got, string(k))
			}
			var ce *config.Error
			if gotErr != tt.wantErr || err != nil && !errors.As(err, &ce) || err == nil && !slices.Equal(got, tt.wantKeys) {
				t.Errorf("LoadKeys() = %v, %d verify keys; want error %q, %d keys", err, len(got), tt.wantErr, len(tt.wantKeys))
			}
		})
	}
}

func TestResolveRotationSettings(t *testing.T) {
	file := writeFile(t, "drover.toml", "jwt_algorithm = \"EdDSA\"\njwt_private_key_file = \"/k/new.pem\"\njwt_verify_key_file = [\"/k/old.pem\", \"/k/older.pem\"]\n")
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  map[string]string
		want     []string
		wantErr  string // "" for success
	}{
		{name: "repeated flag", giveArgs: []string{"--jwt-algorithm", "ES256", "--jwt-private-key-file", "/k/p.pem", "--jwt-verify-key-file", "/k/a.pem", "--jwt-verify-key-file", "/k/b.pem"}, want: []string{"/k/a.pem", "/k/b.pem"}},
		{name: "environment, comma-separated", giveArgs: []string{"--jwt-algorithm", "RS256", "--jwt-private-key-file", "/k/p.pem"}, giveEnv: map[string]string{"DROVER_JWT_VERIFY_KEY_FILE": "/k/a.pem,/k/b.pem"}, want: []string{"/k/a.pem", "/k/b.pem"}},
		{name: "config file", giveArgs: []string{"--config", file}, want: []string{"/k/old.pem", "/k/older.pem"}},
		{name: "flag replaces the file's", giveArgs: []string{"--config", file, "--jwt-verify-key-file", "/k/c.pem"}, want: []string{"/k/c.pem"}},
		{name: "verify key with HS256", giveArgs: []string{"--jwt-verify-key-file", "/k/a.pem"},
			wantErr: "invalid --jwt-verify-key-file: HS256 has no public keys; its previous key goes in secret-key-previous-file"},
		{name: "previous secret with EdDSA", giveArgs: []string{"--config", file, "--secret-key-previous-file", "/k/old.key"},
			wantErr: "invalid --secret-key-previous-file: is an HS256 key; EdDSA keeps its previous keys in jwt-verify-key-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.Resolve(config.Source{Args: tt.giveArgs, LookupEnv: fakeEnv(tt.giveEnv)})
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr || err == nil && !slices.Equal(got.Auth.VerifyKeyFiles, tt.want) {
				t.Errorf("Resolve(%q) = %q, %v; want %q, error %q", tt.giveArgs, got.Auth.VerifyKeyFiles, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestRotationKeysNeverPrint checks that the previous secret and the
// verify keys are in neither --print-config nor a %v of the config.
func TestRotationKeysNeverPrint(t *testing.T) {
	c := config.Default()
	c.Auth.SecretKeyPreviousFile = "/k/previous.key"
	c.Auth.Keys.PreviousSecret = config.Secret("hunter2-previous-hunter2-previous")
	c.Auth.Keys.VerifyKeys = []config.Secret{config.Secret("-----BEGIN PUBLIC KEY-----hunter2")}
	for _, got := range []string{c.TOML(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("key material printed: %s", got)
		}
	}
	if !strings.Contains(c.TOML(), `secret_key_previous_file = "/k/previous.key"`) {
		t.Errorf("TOML() lacks the previous key's file:\n%s", c.TOML())
	}
}

func TestUnknownEnvRotation(t *testing.T) {
	environ := []string{"DROVER_SECRET_KEY_PREVIOUS=x", "NOTES_SECRET_KEY_PREVIOUS=x", "DROVER_JWT_VERIFY_KEY_FILE=/k"}
	if got := notesTable(true).UnknownEnv(environ); len(got) != 0 {
		t.Errorf("UnknownEnv(%q) = %q, want no warning", environ, got)
	}
}

// ed25519PrivatePEM is a fresh PKCS#8 PEM Ed25519 private key.
func ed25519PrivatePEM(t *testing.T) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
