package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary strings to Parse: it never panics, fails only
// with ErrTokenInvalid or ErrWrongTokenType, and accepts a token (or
// reports its wrong type) only if it is exactly three canonical segments
// whose HMAC-SHA256 under the key, computed here without the parser, is
// the signature: nothing the fuzzer makes up passes, only the seeds Issue
// signed.
func FuzzParse(f *testing.F) {
	tk := newTestTokens(f, TokenConfig{Secret: []byte(testSecret)})
	access := issue(f, tk, Access, 42)
	parts := strings.Split(access, ".")
	for _, seed := range []string{
		access,
		issue(f, tk, Refresh, 7),
		"",
		".",
		"..",
		"...",
		parts[0] + "." + parts[1],
		access + ".",
		access + "." + parts[2],
		access[:len(access)-1],
		access + "\n",
		b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".",
		b64(`{"alg":"HS256","kid":"../../etc/passwd"}`) + "." + parts[1] + "." + parts[2],
		b64(`{"alg":"HS256","kid":"","typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		b64(`{"alg":"HS256","kid":7,"typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		b64(`{"alg":"ES256","kid":"NYmZY6RvaKAYdLryWoiQjOA5fsCFe59ZWmN9pKZ53K4","typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + b64(`{"token_type":"access","exp":1e400,"user_id":1e30}`) + "." + parts[2],
		parts[0] + "." + b64(`{"exp":"9999999999","iat":[],"nbf":{},"aud":[1],"iss":null}`) + "." + parts[2],
		b64(`{"alg":"HS256","crit":["b64"],"b64":false}`) + ".." + parts[2],
		"eyJ.eyJ.eyJ",
		strings.Repeat("A", 9000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, give string) {
		signed := hmacSigned(give)
		for _, want := range []TokenType{Access, Refresh} {
			got, err := tk.Parse(give, want)
			switch {
			case err == nil && !signed:
				t.Fatalf("Parse(%q, %q) = %+v, nil for a token not signed with the key", give, want, got)
			case err == nil && (got.TokenType != want || got.UserID <= 0 || got.JTI == "" || got.ExpiresAt.IsZero()):
				t.Fatalf("Parse(%q, %q) = %+v, nil: incomplete claims", give, want, got)
			case errors.Is(err, ErrWrongTokenType) && !signed:
				t.Fatalf("Parse(%q, %q) = %v for a token not signed with the key", give, want, err)
			case err != nil && !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrWrongTokenType):
				t.Fatalf("Parse(%q, %q) error = %v, want ErrTokenInvalid or ErrWrongTokenType", give, want, err)
			case err != nil && got != (Claims{}):
				t.Fatalf("Parse(%q, %q) = %+v with error %v, want zero claims", give, want, got, err)
			}
		}
	})
}

// hmacSigned reports whether tok is header.payload.signature with the
// signature the canonical unpadded base64url of HMAC-SHA256(testSecret,
// header.payload).
func hmacSigned(tok string) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || strings.Count(tok, ".") != 2 {
		return false
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(tok[:i]))
	return tok[i+1:] == base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
