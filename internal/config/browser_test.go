package config_test

import (
	"slices"
	"testing"

	"github.com/drover/drover/internal/config"
)

func TestBrowserSettings(t *testing.T) {
	tests := []struct {
		name        string
		giveArgs    []string
		giveEnv     map[string]string
		giveFile    string // TOML, named by --config when set
		wantCookie  string
		wantOrigins []string
		wantErr     string
	}{
		{name: "defaults: both off"},
		{name: "cookie", giveArgs: []string{"--refresh-cookie", "refresh_token"}, wantCookie: "refresh_token"},
		{name: "__Secure- cookie", giveEnv: map[string]string{"DROVER_REFRESH_COOKIE": "__Secure-rt"}, wantCookie: "__Secure-rt"},
		{name: "cookie set to empty is off", giveEnv: map[string]string{"DROVER_REFRESH_COOKIE": "rt"}, giveArgs: []string{"--refresh-cookie="}},
		{name: "bad cookie name", giveArgs: []string{"--refresh-cookie", "a;b"},
			wantErr: `invalid argument "a;b" for "--refresh-cookie" flag: "a;b" is not a cookie name (letters, digits and !#$%&'*+-.^_` + "`" + `|~)`},
		{name: "__Host- cookie", giveEnv: map[string]string{"DROVER_REFRESH_COOKIE": "__Host-rt"},
			wantErr: `invalid DROVER_REFRESH_COOKIE: "__Host-rt": browsers take a __Host- cookie only for Path=/, and the refresh cookie's path is /api/token/; __Secure- is fine`},
		{name: "origins repeated, normalised", giveArgs: []string{"--cors-allowed-origins", "https://App.example:443", "--cors-allowed-origins", "http://localhost:5173"},
			wantOrigins: []string{"https://app.example", "http://localhost:5173"}},
		{name: "origins comma-separated in a flag", giveArgs: []string{"--cors-allowed-origins", "https://a.example, https://b.example"},
			wantOrigins: []string{"https://a.example", "https://b.example"}},
		{name: "origins comma-separated in the environment", giveEnv: map[string]string{"DROVER_CORS_ALLOWED_ORIGINS": "https://a.example,https://b.example:8443"},
			wantOrigins: []string{"https://a.example", "https://b.example:8443"}},
		{name: "origins in the file", giveFile: "cors_allowed_origins = [\"https://a.example\", \"capacitor://localhost\"]\nrefresh_cookie = \"rt\"\n",
			wantCookie: "rt", wantOrigins: []string{"https://a.example", "capacitor://localhost"}},
		{name: "flags replace the environment's origins", giveEnv: map[string]string{"DROVER_CORS_ALLOWED_ORIGINS": "https://a.example"}, giveArgs: []string{"--cors-allowed-origins", "https://b.example"},
			wantOrigins: []string{"https://b.example"}},
		{name: "any origin without the cookie", giveArgs: []string{"--cors-allowed-origins", "*"}, wantOrigins: []string{"*"}},
		{name: "any origin with the cookie", giveArgs: []string{"--cors-allowed-origins", "*", "--refresh-cookie", "rt"},
			wantErr: `invalid --cors-allowed-origins: "*" cannot be combined with refresh-cookie: every site's pages could use the cookie; list the front ends' origins`},
		{name: "origin with a path", giveArgs: []string{"--cors-allowed-origins", "https://a.example/"},
			wantErr: `invalid argument "https://a.example/" for "--cors-allowed-origins" flag: "https://a.example/" is not an origin (scheme://host[:port]): it has a path`},
		{name: "origin without a scheme", giveEnv: map[string]string{"DROVER_CORS_ALLOWED_ORIGINS": "https://a.example,b.example"},
			wantErr: `invalid DROVER_CORS_ALLOWED_ORIGINS: "b.example" is not an origin (scheme://host[:port]): no scheme`},
		{name: "null origin", giveArgs: []string{"--cors-allowed-origins", "null"},
			wantErr: `invalid argument "null" for "--cors-allowed-origins" flag: "null" is not an origin (scheme://host[:port]): "null" is the origin of sandboxed frames and files, which any site can make`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.giveArgs
			if tt.giveFile != "" {
				args = append([]string{"--config", writeFile(t, "drover.toml", tt.giveFile)}, args...)
			}
			cfg, err := config.Resolve(config.Source{Args: args, LookupEnv: fakeEnv(tt.giveEnv)})
			if !errorAsWanted(t, err, tt.wantErr) {
				return
			}
			if got := cfg.Browser.RefreshCookie; got != tt.wantCookie {
				t.Errorf("refresh cookie = %q, want %q", got, tt.wantCookie)
			}
			if got := cfg.Browser.CORSAllowedOrigins; !slices.Equal(got, tt.wantOrigins) {
				t.Errorf("CORS origins = %q, want %q", got, tt.wantOrigins)
			}
		})
	}
}
