package auth

import "testing"

// BenchmarkParseAccess is the cold path: a token verified and decoded,
// with the verified-token cache off (see BenchmarkParseAccessCached).
func BenchmarkParseAccess(b *testing.B) {
	tk := newTestTokens(b, TokenConfig{Secret: []byte(testSecret), VerifyCacheSize: -1})
	tok := issue(b, tk, Access, 42)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Parse(tok, Access); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueAccess(b *testing.B) {
	tk := newTestTokens(b, TokenConfig{Secret: []byte(testSecret)})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tk.Issue(Access, 42); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAccessAsymmetric measures verification with each of the
// asymmetric algorithms, for comparison with HS256, with the
// verified-token cache off.
func BenchmarkParseAccessAsymmetric(b *testing.B) {
	for _, bb := range []struct {
		name string
		cfg  TokenConfig
	}{
		{name: "EdDSA", cfg: TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: readKey(b, "ed25519.pem")}},
		{name: "ES256", cfg: TokenConfig{Algorithm: "ES256", PrivateKeyPEM: readKey(b, "ec-p256.pem")}},
		{name: "RS256", cfg: TokenConfig{Algorithm: "RS256", PrivateKeyPEM: readKey(b, "rsa2048.pem")}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			cfg := bb.cfg
			cfg.VerifyCacheSize = -1
			tk := newTestTokens(b, cfg)
			tok := issue(b, tk, Access, 42)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tk.Parse(tok, Access); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIssueAccessWithClaims is IssueWith with the claims a program's
// hook typically adds, for comparison with Issue.
func BenchmarkIssueAccessWithClaims(b *testing.B) {
	tk := newTestTokens(b, TokenConfig{Secret: []byte(testSecret)})
	extra := map[string]any{"plan": "pro", "seats": 3}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tk.IssueWith(Access, 42, extra); err != nil {
			b.Fatal(err)
		}
	}
}
