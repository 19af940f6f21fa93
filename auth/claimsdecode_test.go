package auth

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestFastParse checks that the tokens drover issues take the fast path,
// with every algorithm and with aud, iss and extra claims, and that it
// reads what ParseWithClaims reads from them.
func TestFastParse(t *testing.T) {
	f := newFixture(t)
	aud := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), Audience: "api", Issuer: "drover", KeyID: "k1"})
	rotated := newTestTokens(t, TokenConfig{Secret: []byte("a-newer-secret-0123456789abcdefgh"), PreviousSecrets: [][]byte{[]byte(testSecret)}})
	tests := []struct {
		name   string
		tokens *Tokens
		give   string
	}{
		{name: "HS256", tokens: f.hs, give: issue(t, f.hs, Access, 42)},
		{name: "HS256 refresh", tokens: f.hs, give: issue(t, f.hs, Refresh, 42)},
		{name: "HS256 previous secret", tokens: rotated, give: issue(t, f.hs, Access, 42)},
		{name: "RS256", tokens: f.rs, give: issue(t, f.rs, Access, 42)},
		{name: "ES256", tokens: f.es, give: issue(t, f.es, Access, 42)},
		{name: "EdDSA", tokens: f.ed, give: issue(t, f.ed, Access, 42)},
		{name: "aud, iss and kid", tokens: aud, give: issue(t, aud, Access, 42)},
		{name: "extra claims", tokens: f.hs, give: func() string {
			tok, _, err := f.hs.IssueWith(Access, 42, map[string]any{"plan": "pro", "seats": 3, "tags": []any{"a", map[string]any{"b": nil}}, "name": "Zoë \"q\""})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.tokens.fastParse(tt.give)
			var want wireClaims
			_, err := tt.tokens.parser.ParseWithClaims(tt.give, &want, tt.tokens.keyfunc)
			if !ok || err != nil || !reflect.DeepEqual(normal(got), normal(want)) {
				t.Errorf("fastParse(%q) = %+v, %v; want %+v (ParseWithClaims: %v)", tt.give, got, ok, want, err)
			}
		})
	}
}

// normal is w with its raw claims as strings, to compare them whatever
// their slices' capacity.
func normal(w wireClaims) any {
	return struct {
		TokenType, UserID string
		R                 any
	}{string(w.TokenType), string(w.UserID), w.RegisteredClaims}
}

// FuzzDecodeClaims checks decodeClaims against encoding/json, as
// ParseWithClaims decodes: whatever payload decodeClaims reads,
// json.Unmarshal reads too, to the same claims. decodeClaims may decline
// a payload encoding/json reads (a float exp, an escaped jti …); Parse
// then decodes it with encoding/json. The payloads drover and simplejwt
// write are never declined (TestFastParse). The payload is also signed,
// and whatever fastParse accepts (the validator's checks included, with
// and without aud, iss and leeway), ParseWithClaims accepts with the
// same claims.
func FuzzDecodeClaims(f *testing.F) {
	plain := newTestTokens(f, TokenConfig{Secret: []byte(testSecret)})
	strict := newTestTokens(f, TokenConfig{Secret: []byte(testSecret), Audience: "api", Issuer: "drover", Leeway: 30 * time.Second})
	for _, seed := range []string{
		`{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"0123456789abcdef0123456789abcdef","user_id":42}`,
		`{"token_type":"refresh","exp":1,"iat":0,"jti":"x","user_id":7,"aud":"api","iss":"drover","sub":"s","nbf":5}`,
		`{"token_type":"access","exp":1.5,"user_id":1e3,"jti":"\u0061"}`,
		`{"EXP":1,"exp":2,"Jti":"a","ſub":"x","user_id":-0.0e+1}`,
		`{"exp":1,"exp":2}`,
		` {"a":[1,{"b":[true,false,null,"\ud800"]}],"c":{}} `,
		`{"exp":null,"aud":["a","b"],"user_id":"42"}`,
		`{"x":"` + "\xff\x00" + `"}`,
		`{"exp":0123}`,
		`{}x`,
		`[]`,
		`{"token_type":"access","user_id":9223372036854775808,"exp":999999999999999}`,
		`{"token_type":"access","exp":1735787345,"iat":1735787045,"nbf":1735787075,"jti":"j","user_id":42,"aud":"api","iss":"drover"}`,
		`{"token_type":"access","exp":1735787316,"iat":1735787074,"jti":"j","user_id":42,"aud":"web","iss":"drover"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, give []byte) {
		tok := hs256(t, hsHeader, string(give))
		for _, tk := range []*Tokens{plain, strict} {
			got, ok := tk.fastParse(tok)
			var want wireClaims
			_, err := tk.parser.ParseWithClaims(tok, &want, tk.keyfunc)
			if ok && (err != nil || !reflect.DeepEqual(normal(got), normal(want))) {
				t.Fatalf("fastParse(%q) = %+v; ParseWithClaims = %+v, %v", tok, normal(got), normal(want), err)
			}
		}
		got, ok := decodeClaims(give)
		if !ok {
			return
		}
		var want wireClaims
		if err := json.Unmarshal(give, &want); err != nil {
			t.Fatalf("decodeClaims(%q) = %+v, true; encoding/json refuses it: %v", give, got, err)
		}
		if !reflect.DeepEqual(normal(got), normal(want)) {
			t.Fatalf("decodeClaims(%q) = %+v; encoding/json reads %+v", give, normal(got), normal(want))
		}
	})
}

// TestDecodeClaims is decodeClaims on the payloads it reads and some it
// declines.
func TestDecodeClaims(t *testing.T) {
	tests := []struct {
		name   string
		give   string
		wantOK bool
	}{
		{name: "simplejwt's claims", give: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"0123456789abcdef0123456789abcdef","user_id":42}`, wantOK: true},
		{name: "whitespace and other claims", give: " {\n\"plan\" : [1, {\"a\":null}], \"exp\":5 ,\"jti\":\"j\"}\t", wantOK: true},
		{name: "exp a float", give: `{"exp":1.5}`},
		{name: "exp an exponent", give: `{"exp":1e9}`},
		{name: "exp null", give: `{"exp":null}`},
		{name: "exp twice", give: `{"exp":1,"exp":2}`},
		{name: "exp in capitals", give: `{"EXP":1}`},
		{name: "exp escaped", give: `{"\u0065xp":1}`},
		{name: "sub with a long s", give: `{"ſub":"x"}`},
		{name: "jti escaped", give: `{"jti":"\u0061"}`},
		{name: "aud an array", give: `{"aud":["a"]}`},
		{name: "token_type a number", give: `{"token_type":1}`},
		{name: "user_id a string", give: `{"user_id":"42"}`},
		{name: "trailing data", give: `{}x`},
		{name: "a bad escape elsewhere", give: `{"x":"\q"}`},
		{name: "a leading zero elsewhere", give: `{"x":01}`},
		{name: "too deep", give: `{"x":` + deep(maxDecodeDepth+1) + `}`},
		{name: "deep enough", give: `{"x":` + deep(maxDecodeDepth) + `}`, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeClaims([]byte(tt.give))
			if ok != tt.wantOK {
				t.Errorf("decodeClaims(%q) = %+v, %v; want ok %v", tt.give, got, ok, tt.wantOK)
			}
		})
	}
}

// deep is n nested arrays.
func deep(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, '[')
	}
	for range n {
		b = append(b, ']')
	}
	return string(b)
}

// BenchmarkVerifyPath compares the two ways parse verifies and decodes a
// token: fastParse, and golang-jwt's ParseWithClaims with encoding/json.
func BenchmarkVerifyPath(b *testing.B) {
	tk := newTestTokens(b, TokenConfig{Secret: []byte(testSecret), VerifyCacheSize: -1})
	tok := issue(b, tk, Access, 42)
	b.Run("fastParse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := tk.fastParse(tok); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("ParseWithClaims", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w wireClaims
			if _, err := tk.parser.ParseWithClaims(tok, &w, tk.keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
