package config

import (
	"errors"
	"testing"
)

// FuzzResolveFile feeds arbitrary bytes to the config file reader and
// applies what it accepts: nothing panics, and every rejection is a *Error
// naming the setting.
func FuzzResolveFile(f *testing.F) {
	defaults := Default()
	for _, seed := range []string{
		"",
		"workers = 4\n",
		"bind = [\"unix:/run/drover.sock\", \"[::1]:9000\", \"fd://3\"]\n",
		"timeout = \"30s\"\ngraceful_timeout = 0.5\nlimit_request_body = \"10M\"\n",
		"forwarded_allow_ips = [\"10.0.0.0/8\", \"::1\"]\n",
		"forwarded_allow_ips = \"*\"\nworker_class = \"sync\"\n",
		"wrokers = 3\n",
		"[server]\nworkers = 3\n",
		"workers = 1979-05-27\n",
		"bind = [[\"a\"], 1, 2.5, true]\n",
		"workers = \"many\"\n",
		"workers = inf\ntimeout = nan\n",
		"pid = \"\\u0000\"\n",
		"user = \"nobody\"\numask = \"027\"\nsocket_mode = \"0o600\"\nsocket_owner = \":root\"\n",
		"tls_auto = [\"a.example\", \"*.b.example\"]\ntls_auto_challenge = \"http-01\"\nhttp_redirect = \"[::]:80\"\n",
		"= 3\n",
		defaults.TOML(),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		layer, err := parseFile(settings(), "f.toml", data)
		var ce *Error
		if err != nil {
			if !errors.As(err, &ce) {
				t.Fatalf("parseFile(%q) error = %v (%T), want a *config.Error", data, err, err)
			}
			return
		}
		c := Default()
		if err := apply(&c, layer, map[string]string{}); err != nil && !errors.As(err, &ce) {
			t.Fatalf("apply(parseFile(%q)) error = %v (%T), want a *config.Error", data, err, err)
		}
		if err := c.Validate(); err != nil && !errors.As(err, &ce) {
			t.Fatalf("Validate() after parseFile(%q) = %v (%T), want a *config.Error", data, err, err)
		}
	})
}
