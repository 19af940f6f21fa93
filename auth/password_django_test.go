package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// djangoScript reads {"password", "hash"} on stdin, hash being drover's
// hash of password, and answers on stdout what Django makes of it, with
// Django configured with drover's argon2 costs, plus hashes of password
// Django makes itself.
const djangoScript = `
import json, sys
from django.conf import settings
settings.configure(PASSWORD_HASHERS=[
    "__main__.DroverArgon2",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
])
import django
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, get_hasher, make_password

class DroverArgon2(Argon2PasswordHasher):
    memory_cost = 19456
    time_cost = 2
    parallelism = 1

give = json.load(sys.stdin)
pw, drover = give["password"], give["hash"]
stock = Argon2PasswordHasher()
json.dump({
    "version": django.get_version(),
    "accepts": check_password(pw, drover),
    "accepts_wrong": check_password(pw + "!", drover),
    "must_update": get_hasher("default").must_update(drover),
    "pbkdf2_sha256": make_password(pw, hasher="pbkdf2_sha256"),
    "argon2_drover_costs": make_password(pw),
    "argon2_django_costs": stock.encode(pw, stock.salt()),
}, sys.stdout)
`

// pythonWithDjango returns a python3 that imports Django and argon2-cffi:
// the one on PATH, else Debian's /usr/bin/python3, where python3-django and
// python3-argon2 install them. Without one the test fails, or skips under
// -short.
func pythonWithDjango(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(name)
		if err == nil && exec.Command(path, "-c", "import django, argon2").Run() == nil {
			return path
		}
	}
	const msg = "no python3 that imports django and argon2: apt-get install python3-django python3-argon2"
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

// TestPasswordDjangoInterop moves hashes both ways between drover and a
// real Django: Django accepts drover's hash (and, configured with drover's
// costs, finds it current), and drover accepts Django's fresh hashes.
func TestPasswordDjangoInterop(t *testing.T) {
	python := pythonWithDjango(t)
	ctx := context.Background()
	h := NewHasher(HasherConfig{})
	const password = "pässwörd✓ s3cret"
	mine, err := h.Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(map[string]string{"password": password, "hash": mine})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, python, "-c", djangoScript)
	cmd.Stdin = bytes.NewReader(in)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("django script: %v\n%s", err, stderr.String())
	}
	var got struct {
		Version           string `json:"version"`
		Accepts           bool   `json:"accepts"`
		AcceptsWrong      bool   `json:"accepts_wrong"`
		MustUpdate        bool   `json:"must_update"`
		PBKDF2SHA256      string `json:"pbkdf2_sha256"`
		Argon2DroverCosts string `json:"argon2_drover_costs"`
		Argon2DjangoCosts string `json:"argon2_django_costs"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("django script output %q: %v", out, err)
	}
	t.Logf("Django %s", got.Version)

	if !got.Accepts || got.AcceptsWrong || got.MustUpdate {
		t.Errorf("Django on drover's %q: check_password right %t, wrong %t, must_update %t; want true, false, false",
			mine, got.Accepts, got.AcceptsWrong, got.MustUpdate)
	}
	tests := []struct {
		name        string
		giveEncoded string
		wantRehash  bool
	}{
		{name: "pbkdf2_sha256", giveEncoded: got.PBKDF2SHA256, wantRehash: true},
		{name: "argon2 drover costs", giveEncoded: got.Argon2DroverCosts, wantRehash: false},
		{name: "argon2 django costs", giveEncoded: got.Argon2DjangoCosts, wantRehash: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tt.giveEncoded, password)
			if !ok || rehash != tt.wantRehash || err != nil {
				t.Errorf("Verify(%q) = %t, %t, %v; want true, %t, nil", tt.giveEncoded, ok, rehash, err, tt.wantRehash)
			}
			if ok, _, err := h.Verify(ctx, tt.giveEncoded, password+"!"); ok || err != nil {
				t.Errorf("Verify(%q, wrong password) = %t, %v; want false, nil", tt.giveEncoded, ok, err)
			}
		})
	}
}
