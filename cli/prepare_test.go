package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
)

// writePEM writes a PKCS#8 private key or a PKIX public key to dir/name.
func writePEM(t *testing.T, dir, name string, key any) string {
	t.Helper()
	var block *pem.Block
	switch k := key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PUBLIC KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// servePrepare is what runServe does with args before it creates
// anything: resolve, then prepare.
func servePrepare(p Program, args []string) error {
	cfg, _, err := resolve(p, args, nil, nil, io.Discard)
	if err != nil {
		return err
	}
	return exitcode.Wrap(exitcode.Config, prepare(p, &cfg))
}

func exitCode(err error) int {
	var ee *exitcode.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return exitcode.Runtime
	}
	return exitcode.OK
}

// TestCheckRefusesWhatServeRefuses runs drover check through Run and
// serve's prepare over the same arguments: each refuses the same way.
func TestCheckRefusesWhatServeRefuses(t *testing.T) {
	t.Setenv(config.EnvSecretKey, "")
	os.Unsetenv(config.EnvSecretKey) // restored by Setenv's cleanup

	dir := t.TempDir()
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaB, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var (
		goodSecret  = writeFile(t, dir, "good.key", strings.Repeat("k", 32)+"\n")
		shortSecret = writeFile(t, dir, "short.key", "12345\n")
		rsa1024Key  = writePEM(t, dir, "rsa1024.pem", rsa1024)
		rsaAKey     = writePEM(t, dir, "rsa-a.pem", rsaA)
		rsaAPub     = writePEM(t, dir, "rsa-a.pub", &rsaA.PublicKey)
		rsaBPub     = writePEM(t, dir, "rsa-b.pub", &rsaB.PublicKey)
		p384Key     = writePEM(t, dir, "p384.pem", p384)
		notPEM      = writeFile(t, dir, "not.pem", "not a certificate\n")
	)
	key := []string{"--secret-key-file", goodSecret}
	with := func(args ...string) []string { return append(append([]string{}, key...), args...) }

	tests := []struct {
		name     string
		giveArgs []string
		wantCode int
		wantErr  string // in the error line; "" for none
	}{
		{name: "good HS256", giveArgs: with(), wantCode: exitcode.OK},
		{name: "good RS256", giveArgs: []string{"--jwt-algorithm", "RS256", "--jwt-private-key-file", rsaAKey, "--jwt-public-key-file", rsaAPub}, wantCode: exitcode.OK},
		{name: "5-byte secret", giveArgs: []string{"--secret-key-file", shortSecret},
			wantCode: exitcode.Config, wantErr: "the signing key is 5 bytes; at least 32 are needed"},
		{name: "1024-bit RSA key with RS256", giveArgs: []string{"--jwt-algorithm", "RS256", "--jwt-private-key-file", rsa1024Key},
			wantCode: exitcode.Config, wantErr: "invalid jwt-private-key-file: token RS256 key: private key: RS256 needs an RSA key of at least 2048 bits, not 1024"},
		{name: "P-384 key with ES256", giveArgs: []string{"--jwt-algorithm", "ES256", "--jwt-private-key-file", p384Key},
			wantCode: exitcode.Config, wantErr: "invalid jwt-private-key-file: token ES256 key: private key: ES256 needs a P-256 key, not P-384"},
		{name: "mismatched RS256 pair", giveArgs: []string{"--jwt-algorithm", "RS256", "--jwt-private-key-file", rsaAKey, "--jwt-public-key-file", rsaBPub},
			wantCode: exitcode.Config, wantErr: "invalid jwt-private-key-file: token RS256 key: public key does not belong to the private key"},
		{name: "missing key file", giveArgs: []string{"--jwt-algorithm", "EdDSA", "--jwt-private-key-file", filepath.Join(dir, "absent.pem")},
			wantCode: exitcode.Config, wantErr: "invalid jwt-private-key-file:"},
		{name: "unknown user", giveArgs: with("--user", "no-such-user-drover"),
			wantCode: exitcode.Config, wantErr: `invalid --user: no user "no-such-user-drover"`},
		{name: "unknown socket owner", giveArgs: with("--socket-owner", "no-such-user-drover"),
			wantCode: exitcode.Config, wantErr: `invalid --socket-owner: no user "no-such-user-drover"`},
		{name: "bad bind", giveArgs: with("--bind", "127.0.0.1:99999"),
			wantCode: exitcode.Config, wantErr: "port must be a number from 0 to 65535"},
		{name: "missing certificate", giveArgs: with("--certfile", filepath.Join(dir, "absent.crt"), "--keyfile", filepath.Join(dir, "absent.key")),
			wantCode: exitcode.Config, wantErr: "invalid certfile:"},
		{name: "certificate that is not PEM", giveArgs: with("--certfile", notPEM, "--keyfile", notPEM),
			wantCode: exitcode.Config, wantErr: "invalid certfile: " + notPEM},
		{name: "certfile without keyfile", giveArgs: with("--certfile", notPEM),
			wantCode: exitcode.Config, wantErr: "certfile and keyfile go together"},
		{name: "ACME roots that are not PEM", giveArgs: with("--tls-auto", "example.com", "--tls-auto-ca-root", notPEM),
			wantCode: exitcode.Config, wantErr: "tls-auto-ca-root"},
		{name: "error log in a missing directory", giveArgs: with("--error-logfile", filepath.Join(dir, "absent", "error.log")),
			wantCode: exitcode.Config, wantErr: "invalid error-logfile: directory of " + filepath.Join(dir, "absent", "error.log")},
		{name: "access log that is a directory", giveArgs: with("--access-logfile", dir),
			wantCode: exitcode.Config, wantErr: "invalid access-logfile: " + dir + " is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			checkErr := Run(context.Background(), Program{}, append([]string{"check"}, tt.giveArgs...), &out)
			serveErr := servePrepare(Program{}, tt.giveArgs)

			if got := exitCode(checkErr); got != tt.wantCode || !strings.Contains(errLine(checkErr), tt.wantErr) {
				t.Errorf("check %q = %v (code %d), want code %d and %q", tt.giveArgs, checkErr, got, tt.wantCode, tt.wantErr)
			}
			if exitCode(serveErr) != exitCode(checkErr) || errLine(serveErr) != errLine(checkErr) {
				t.Errorf("serve %q = %v (code %d), want what check says: %v (code %d)",
					tt.giveArgs, serveErr, exitCode(serveErr), checkErr, exitCode(checkErr))
			}
		})
	}
}

// TestCheckNotesAMissingKey: with no signing key at all, check says so
// and passes (its shell may lack the service's environment), serve
// refuses.
func TestCheckNotesAMissingKey(t *testing.T) {
	t.Setenv(config.EnvSecretKey, "")
	os.Unsetenv(config.EnvSecretKey) // restored by Setenv's cleanup

	var out bytes.Buffer
	if err := Run(context.Background(), Program{}, []string{"check"}, &out); err != nil || !strings.HasPrefix(out.String(), "# no signing key is set here") {
		t.Errorf("check without a key = %v, printed %q; want nil and a note first", err, out.String())
	}
	if err := servePrepare(Program{}, nil); !errors.Is(err, config.ErrNoSigningKey) || exitCode(err) != exitcode.Config {
		t.Errorf("serve without a key = %v, want ErrNoSigningKey with code %d", err, exitcode.Config)
	}
}

func errLine(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCheckReload(t *testing.T) {
	running := config.Default()
	running.Server.User, running.Server.Group = "drover", "drover"
	tests := []struct {
		name      string
		giveUser  string
		giveGroup string
		wantErr   string
	}{
		{name: "unchanged", giveUser: "drover", giveGroup: "drover"},
		{name: "user changed", giveUser: "www-data", giveGroup: "drover",
			wantErr: `invalid user: changed from "drover" to "www-data"; the workers' user changes only on a restart`},
		{name: "group changed", giveUser: "drover", giveGroup: "",
			wantErr: `invalid group: changed from "drover" to ""; the workers' group changes only on a restart`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := running
			next.Server.User, next.Server.Group = tt.giveUser, tt.giveGroup
			if err := checkReload(running, next); errLine(err) != tt.wantErr {
				t.Errorf("checkReload(user %q, group %q) = %v, want %q", tt.giveUser, tt.giveGroup, err, tt.wantErr)
			}
		})
	}
}
