package auth

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// plan is the kind of struct a program decodes its own claims into.
type plan struct {
	Plan   string   `json:"plan"`
	Seats  int      `json:"seats"`
	Scopes []string `json:"scopes"`
	UserID int64    `json:"user_id"`
}

func TestClaimsDecode(t *testing.T) {
	fx := newFixture(t)
	extra := hs256(t, hsHeader, claimsJSON(t, "plan", "pro", "seats", 3, "scopes", []string{"read", "write"}))
	tests := []struct {
		name string
		give string
		want plan
	}{
		{name: "extra claims", give: extra, want: plan{Plan: "pro", Seats: 3, Scopes: []string{"read", "write"}, UserID: 42}},
		{name: "simplejwt's claims only", give: issue(t, fx.hs, Access, 7), want: plan{UserID: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fx.hs.Parse(tt.give, Access)
			if err != nil {
				t.Fatal(err)
			}
			var got plan
			if err := c.Decode(&got); err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode = %+v, %v; want %+v, nil", got, err, tt.want)
			}
		})
	}
}

func TestClaimsClaim(t *testing.T) {
	fx := newFixture(t)
	extra, err := fx.hs.Parse(hs256(t, hsHeader, claimsJSON(t, "plan", "pro", "seats", 3)), Access)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := fx.hs.Parse(issue(t, fx.hs, Access, 7), Access)
	if err != nil {
		t.Fatal(err)
	}
	_, issued, err := fx.hs.Issue(Refresh, 9)
	if err != nil {
		t.Fatal(err)
	}
	untyped, err := fx.hs.ParseUntyped(hs256(t, hsHeader, claimsJSON(t, "plan", "team", "token_type", nil)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		give      Claims
		giveName  string
		giveInto  any // a pointer to a zero value
		want      any // what it points to afterwards
		wantFound bool
		wantErr   bool
	}{
		{name: "string claim", give: extra, giveName: "plan", giveInto: new(string), want: "pro", wantFound: true},
		{name: "number claim", give: extra, giveName: "seats", giveInto: new(int), want: 3, wantFound: true},
		{name: "into any", give: extra, giveName: "seats", giveInto: new(any), want: any(float64(3)), wantFound: true},
		{name: "simplejwt's claim", give: plain, giveName: "user_id", giveInto: new(int64), want: int64(7), wantFound: true},
		{name: "absent", give: plain, giveName: "plan", giveInto: new(string), want: ""},
		{name: "names match exactly", give: extra, giveName: "Plan", giveInto: new(string), want: ""},
		{name: "wrong type", give: extra, giveName: "plan", giveInto: new(int), want: 0, wantFound: true, wantErr: true},
		{name: "claims of Issue", give: issued, giveName: "token_type", giveInto: new(string), want: "refresh", wantFound: true},
		{name: "claims of ParseUntyped", give: untyped, giveName: "plan", giveInto: new(string), want: "team", wantFound: true},
		{name: "zero claims", give: Claims{}, giveName: "plan", giveInto: new(string), want: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := tt.give.Claim(tt.giveName, tt.giveInto)
			got := reflect.ValueOf(tt.giveInto).Elem().Interface()
			if found != tt.wantFound || (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Claim(%q) = %v, %v and %#v; want %v, error %v and %#v", tt.giveName, found, err, got, tt.wantFound, tt.wantErr, tt.want)
			}
		})
	}
}

func TestClaimsDecodeZero(t *testing.T) {
	var v map[string]any
	if err := (Claims{}).Decode(&v); !errors.Is(err, errNoPayload) {
		t.Errorf("Claims{}.Decode = %v, want errNoPayload", err)
	}
}

// TestClaimsCarryNoCredential checks that Claims keep the payload, not the
// token: printed or logged, they give away no usable token.
func TestClaimsCarryNoCredential(t *testing.T) {
	fx := newFixture(t)
	tok, issued, err := fx.hs.Issue(Access, 42)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := fx.hs.Parse(tok, Access)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Claims{issued, parsed} {
		if c.payload != segment(tok, 1) {
			t.Errorf("claims carry %q, want the payload segment %q", c.payload, segment(tok, 1))
		}
	}
}

// TestIssueWithClaims checks where IssueWith puts extra claims: after
// user_id, in sorted order, before aud and iss, encoded by encoding/json;
// without any, the payload is Issue's.
func TestIssueWithClaims(t *testing.T) {
	hs := TokenConfig{Secret: []byte(testSecret)}
	tests := []struct {
		name      string
		giveCfg   TokenConfig
		giveExtra map[string]any
		wantClaim string // the payload, with JTI where the jti goes
	}{
		{
			name: "none", giveCfg: hs, giveExtra: nil,
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42}`,
		},
		{
			name: "empty", giveCfg: hs, giveExtra: map[string]any{},
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42}`,
		},
		{
			name: "sorted, after user_id", giveCfg: hs, giveExtra: map[string]any{"z": true, "plan": "pro", "a": 1.5, "nothing": nil},
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42,"a":1.5,"nothing":null,"plan":"pro","z":true}`,
		},
		{
			name: "before aud and iss", giveCfg: TokenConfig{Secret: []byte(testSecret), Audience: "drover-api", Issuer: "https://drover.example"}, giveExtra: map[string]any{"plan": "pro"},
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42,"plan":"pro","aud":"drover-api","iss":"https://drover.example"}`,
		},
		{
			name: "encoded by encoding/json", giveCfg: hs, giveExtra: map[string]any{"org": map[string]any{"name": "A&B <x>", "id": 9}, `we"ird`: []int{1, 2}, "sub": "alice"},
			wantClaim: `{"token_type":"access","exp":1735787345,"iat":1735787045,"jti":"JTI","user_id":42,"org":{"id":9,"name":"A\u0026B \u003cx\u003e"},"sub":"alice","we\"ird":[1,2]}`,
		},
	}
	jti := regexp.MustCompile(`"jti":"[0-9a-f]{32}"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTestTokens(t, tt.giveCfg)
			tk.now = func() time.Time { return testNow }
			tok, claims, err := tk.IssueWith(Access, 42, tt.giveExtra)
			if err != nil {
				t.Fatalf("IssueWith(access, 42, %v) error = %v", tt.giveExtra, err)
			}
			payload := decodeSegment(t, tok, 1)
			if got := jti.ReplaceAllString(payload, `"jti":"JTI"`); got != tt.wantClaim {
				t.Errorf("IssueWith(access, 42, %v) payload = %s, want %s", tt.giveExtra, payload, tt.wantClaim)
			}
			parsed, err := tk.Parse(tok, Access)
			if err != nil || parsed != claims {
				t.Errorf("Parse(IssueWith(…)) = %+v, %v; want %+v", parsed, err, claims)
			}
		})
	}
}

func TestIssueWithErrors(t *testing.T) {
	hs := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	small := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), MaxTokenSize: 300})
	tiny := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), MaxTokenSize: 100})
	tests := []struct {
		name      string
		tokens    *Tokens
		giveType  TokenType
		giveExtra map[string]any
		wantIs    error // ErrReservedClaim or nil
		wantErr   string
	}{
		{name: "token_type", tokens: hs, giveType: Access, giveExtra: map[string]any{"token_type": "refresh"}, wantIs: ErrReservedClaim, wantErr: `issue access token: "token_type" is set by drover and cannot be overwritten`},
		{name: "exp", tokens: hs, giveType: Refresh, giveExtra: map[string]any{"exp": 0}, wantIs: ErrReservedClaim, wantErr: `issue refresh token: "exp" is set by drover and cannot be overwritten`},
		{name: "user_id in other case", tokens: hs, giveType: Access, giveExtra: map[string]any{"plan": "pro", "User_ID": 1}, wantIs: ErrReservedClaim, wantErr: `"User_ID" is set by drover`},
		{name: "aud", tokens: hs, giveType: Access, giveExtra: map[string]any{"aud": "x"}, wantIs: ErrReservedClaim, wantErr: `"aud" is set by drover`},
		{name: "value that does not encode", tokens: hs, giveType: Access, giveExtra: map[string]any{"ch": make(chan int)}, wantErr: `issue access token: claim "ch": json: unsupported type: chan int`},
		{name: "sub not a string", tokens: hs, giveType: Access, giveExtra: map[string]any{"sub": 42}, wantErr: `claim "sub": 42 is not a string`},
		{name: "over MaxTokenSize", tokens: small, giveType: Access, giveExtra: map[string]any{"pad": strings.Repeat("x", 200)}, wantErr: "more than the 300 that Parse accepts (MaxTokenSize)"},
		{name: "over MaxTokenSize without extras", tokens: tiny, giveType: Access, giveExtra: nil, wantErr: "more than the 100 that Parse accepts"},
		{name: "over the default", tokens: hs, giveType: Refresh, giveExtra: map[string]any{"pad": strings.Repeat("x", DefaultMaxTokenSize)}, wantErr: "more than the 8192 that Parse accepts"},
		{name: "unknown type", tokens: hs, giveType: "sliding", giveExtra: map[string]any{"plan": "pro"}, wantErr: `unknown token type "sliding"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, c, err := tt.tokens.IssueWith(tt.giveType, 42, tt.giveExtra)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrReservedClaim) != (tt.wantIs != nil) || tok != "" || c != (Claims{}) {
				t.Errorf("IssueWith(%q, 42, %v) = %q, %v; want error containing %q (is %v)", tt.giveType, tt.giveExtra, tok, err, tt.wantErr, tt.wantIs)
			}
		})
	}
}

// TestIssueWithReservedNames refuses each reserved name, in any case.
func TestIssueWithReservedNames(t *testing.T) {
	hs := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	for _, name := range []string{"token_type", "exp", "iat", "jti", "user_id", "aud", "iss", "nbf", "EXP", "Jti", "NBF"} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := hs.IssueWith(Access, 42, map[string]any{name: "x"}); !errors.Is(err, ErrReservedClaim) {
				t.Errorf("IssueWith(access, 42, {%q: …}) = %v, want ErrReservedClaim", name, err)
			}
		})
	}
}
