package auth

import (
	"errors"
	"reflect"
	"testing"
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
