package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover/drover/internal/config"
)

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	long := strings.Repeat("k", 40)
	goodFile := write("good.key", long+"\n")
	shortFile := write("short.key", "tooshort\n")
	tests := []struct {
		name       string
		giveFile   string
		giveEnv    map[string]string
		wantSecret string
		wantErr    string
		// wantUnnamed: the error names no setting (the user gave none),
		// so it is not a *config.Error.
		wantUnnamed bool
	}{
		{name: "file, newline trimmed", giveFile: goodFile, wantSecret: long},
		{name: "environment", giveEnv: map[string]string{config.EnvSecretKey: long}, wantSecret: long},
		{name: "neither", wantErr: "no signing key is set: give one as DROVER_SECRET_KEY (the key itself) or --secret-key-file (a file holding it)", wantUnnamed: true},
		{name: "both", giveFile: goodFile, giveEnv: map[string]string{config.EnvSecretKey: long}, wantErr: "DROVER_SECRET_KEY is set too"},
		{name: "short file", giveFile: shortFile, wantErr: "the signing key is 8 bytes; at least 32 are needed"},
		{name: "short env", giveEnv: map[string]string{config.EnvSecretKey: "x"}, wantErr: "invalid DROVER_SECRET_KEY: the signing key is 1 bytes"},
		{name: "missing file", giveFile: filepath.Join(dir, "nope"), wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Auth.SecretKeyFile = tt.giveFile
			err := c.LoadKeys(func(k string) (string, bool) { v, ok := tt.giveEnv[k]; return v, ok })
			if tt.wantErr != "" {
				var ce *config.Error
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.As(err, &ce) == tt.wantUnnamed {
					t.Errorf("LoadKeys() = %v (*config.Error: %t), want one containing %q (*config.Error: %t)", err, errors.As(err, &ce), tt.wantErr, !tt.wantUnnamed)
				}
				return
			}
			if err != nil || string(c.Auth.Keys.Secret) != tt.wantSecret {
				t.Errorf("LoadKeys() = %v, secret %q; want %q", err, string(c.Auth.Keys.Secret), tt.wantSecret)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := config.Secret("hunter2-hunter2-hunter2-hunter2-")
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %+v %#v", s, s, s, s)} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("a Secret printed as %q", got)
		}
	}
	c := config.Default()
	c.Auth.Keys.Secret = s
	if strings.Contains(c.TOML(), "hunter2") {
		t.Error("TOML() printed the secret")
	}
}
