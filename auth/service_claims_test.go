package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// claimsHook is a ClaimsFunc whose answer a test changes between calls,
// and which records the users it was asked about.
type claimsHook struct {
	claims map[string]any
	err    error
	users  []User
}

func (h *claimsHook) claimsFor(_ context.Context, u User) (map[string]any, error) {
	h.users = append(h.users, u)
	return h.claims, h.err
}

// newHookService is newTestService with h as its claims hook and one user,
// alice, whose password is "password-1".
func newHookService(t *testing.T, rotate bool, h *claimsHook) (*Service, *SQLiteStore, User) {
	t.Helper()
	svc, store := newTestService(t, rotate)
	svc.cfg.Claims = h.claimsFor
	hash, err := svc.cfg.Hasher.Hash(context.Background(), "password-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(context.Background(), "alice", hash)
	if err != nil {
		t.Fatal(err)
	}
	return svc, store, u
}

// refreshRows counts the refresh tokens the store recorded.
func refreshRows(t *testing.T, store *SQLiteStore) int {
	t.Helper()
	var n int
	if err := store.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM refresh_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClaimsHookRefused checks what a hook's bad answer does: at login
// and at refresh (rotating or not), the call fails with the error naming
// the hook, no token is issued, and no refresh row is recorded or
// rotated (the presented refresh token still works afterwards).
func TestClaimsHookRefused(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("plans table unreachable")
	tests := []struct {
		name       string
		giveClaims map[string]any
		giveErr    error
		wantIs     error // nil: only wantMsg is checked
		wantMsg    string
	}{
		{name: "token_type", giveClaims: map[string]any{"token_type": "refresh"}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "token_type" is set by drover and cannot be overwritten`},
		{name: "exp", giveClaims: map[string]any{"exp": 1}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "exp" is set by drover and cannot be overwritten`},
		{name: "iat", giveClaims: map[string]any{"iat": 1}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "iat" is set by drover and cannot be overwritten`},
		{name: "jti", giveClaims: map[string]any{"jti": "x"}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "jti" is set by drover and cannot be overwritten`},
		{name: "user_id", giveClaims: map[string]any{"user_id": 2}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "user_id" is set by drover and cannot be overwritten`},
		{name: "aud", giveClaims: map[string]any{"aud": "other"}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "aud" is set by drover and cannot be overwritten`},
		{name: "iss", giveClaims: map[string]any{"iss": "other"}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "iss" is set by drover and cannot be overwritten`},
		{name: "nbf", giveClaims: map[string]any{"nbf": 1}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "nbf" is set by drover and cannot be overwritten`},
		{name: "user_id in another case", giveClaims: map[string]any{"plan": "pro", "USER_ID": 2}, wantIs: ErrReservedClaim, wantMsg: `claims hook: "USER_ID" is set by drover`},
		{name: "hook error", giveErr: boom, wantIs: boom, wantMsg: "claims hook: plans table unreachable"},
		{name: "value that does not encode", giveClaims: map[string]any{"f": func() {}}, wantMsg: `claims hook: claim "f": json: unsupported type`},
		{name: "oversize", giveClaims: map[string]any{"pad": strings.Repeat("x", DefaultMaxTokenSize)}, wantMsg: "that Parse accepts (MaxTokenSize)"},
	}
	for _, rotate := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/rotate=%t/login", tt.name, rotate), func(t *testing.T) {
				h := &claimsHook{claims: tt.giveClaims, err: tt.giveErr}
				svc, store, _ := newHookService(t, rotate, h)
				pair, err := svc.Login(ctx, "alice", "password-1")
				if !refusedWith(err, "login: ", tt.wantMsg, tt.wantIs) || pair != (Pair{}) {
					t.Errorf("Login with hook %v, %v = %+v, %v; want error containing %q", tt.giveClaims, tt.giveErr, pair, err, tt.wantMsg)
				}
				if n := refreshRows(t, store); n != 0 {
					t.Errorf("a failed login left %d refresh rows, want 0", n)
				}
			})
			t.Run(fmt.Sprintf("%s/rotate=%t/refresh", tt.name, rotate), func(t *testing.T) {
				h := &claimsHook{claims: map[string]any{"plan": "pro"}}
				svc, store, _ := newHookService(t, rotate, h)
				login, err := svc.Login(ctx, "alice", "password-1")
				if err != nil {
					t.Fatal(err)
				}
				h.claims, h.err = tt.giveClaims, tt.giveErr
				pair, err := svc.Refresh(ctx, login.Refresh)
				if !refusedWith(err, "refresh: ", tt.wantMsg, tt.wantIs) || pair != (Pair{}) {
					t.Errorf("Refresh with hook %v, %v = %+v, %v; want error containing %q", tt.giveClaims, tt.giveErr, pair, err, tt.wantMsg)
				}
				if n := refreshRows(t, store); n != 1 {
					t.Errorf("after a failed refresh: %d refresh rows, want the login's 1", n)
				}
				h.claims, h.err = nil, nil
				if _, err := svc.Refresh(ctx, login.Refresh); err != nil {
					t.Errorf("Refresh once the hook is fixed = %v; the failed refresh consumed the token", err)
				}
			})
		}
	}
}

// refusedWith reports whether err starts with prefix, contains msg and,
// unless is is nil, wraps is.
func refusedWith(err error, prefix, msg string, is error) bool {
	return err != nil && strings.HasPrefix(err.Error(), prefix) && strings.Contains(err.Error(), msg) && (is == nil || errors.Is(err, is))
}

// billing is how a program reads back the claims its hook adds.
type billing struct {
	Plan   string `json:"plan"`
	Seats  int    `json:"seats"`
	UserID int64  `json:"user_id"`
}

// TestClaimsHookClaims checks that the hook's claims reach every token
// issued: both at login, the access (and, rotating, the refresh) token at
// refresh, with the hook's answer at the time of the refresh; readable
// after Parse and after Authenticate.
func TestClaimsHookClaims(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		giveRotate  bool
		wantRotated bool // the refresh returns a refresh token
	}{
		{name: "rotating", giveRotate: true, wantRotated: true},
		{name: "not rotating", giveRotate: false, wantRotated: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &claimsHook{claims: map[string]any{"plan": "pro", "seats": 3}}
			svc, _, u := newHookService(t, tt.giveRotate, h)
			login, err := svc.Login(ctx, "alice", "password-1")
			if err != nil {
				t.Fatal(err)
			}
			atLogin := billing{Plan: "pro", Seats: 3, UserID: u.ID}
			checkBilling(t, svc, "login refresh", login.Refresh, Refresh, atLogin)
			checkBilling(t, svc, "login access", login.Access, Access, atLogin)

			// The user changes plan: the next refresh says so.
			h.claims = map[string]any{"plan": "team", "seats": 10}
			next, err := svc.Refresh(ctx, login.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			atRefresh := billing{Plan: "team", Seats: 10, UserID: u.ID}
			checkBilling(t, svc, "refreshed access", next.Access, Access, atRefresh)
			if got := next.Refresh != ""; got != tt.wantRotated {
				t.Fatalf("Refresh returned a refresh token: %v, want %v", got, tt.wantRotated)
			}
			if tt.wantRotated {
				checkBilling(t, svc, "rotated refresh", next.Refresh, Refresh, atRefresh)
			}

			// Through Authenticate, as a handler behind drover's
			// authentication reads them.
			got, c, err := svc.Authenticate(ctx, next.Access)
			if err != nil || got.ID != u.ID {
				t.Fatalf("Authenticate = %+v, %v", got, err)
			}
			var plan string
			if found, err := c.Claim("plan", &plan); !found || err != nil || plan != "team" {
				t.Errorf(`Authenticate's Claims.Claim("plan") = %v, %v, %q; want true, nil, "team"`, found, err, plan)
			}

			want := []User{{ID: u.ID, Username: "alice", Active: true, Joined: u.Joined}, {ID: u.ID, Username: "alice", Active: true, Joined: u.Joined}}
			if !reflect.DeepEqual(h.users, want) {
				t.Errorf("hook called for %+v, want %+v (at login and at refresh, without the password hash)", h.users, want)
			}
		})
	}
}

// checkBilling parses token as typ and checks its claims decode to want.
func checkBilling(t *testing.T, svc *Service, what, token string, typ TokenType, want billing) {
	t.Helper()
	c, err := svc.cfg.Tokens.Parse(token, typ)
	if err != nil {
		t.Fatalf("%s: Parse = %v", what, err)
	}
	var got billing
	if err := c.Decode(&got); err != nil || got != want {
		t.Errorf("%s: Decode = %+v, %v; want %+v", what, got, err, want)
	}
}

// TestClaimsHookNone checks that without a hook, or with one that adds
// nothing, the tokens are Issue's: simplejwt's claims and no other.
func TestClaimsHookNone(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		give ClaimsFunc
	}{
		{name: "no hook", give: nil},
		{name: "nil claims", give: func(context.Context, User) (map[string]any, error) { return nil, nil }},
		{name: "empty claims", give: func(context.Context, User) (map[string]any, error) { return map[string]any{}, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, _ := newHookService(t, true, &claimsHook{})
			svc.cfg.Claims = tt.give
			login, err := svc.Login(ctx, "alice", "password-1")
			if err != nil {
				t.Fatal(err)
			}
			next, err := svc.Refresh(ctx, login.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{login.Access, login.Refresh, next.Access, next.Refresh} {
				var all map[string]any
				if err := json.Unmarshal([]byte(decodeSegment(t, tok, 1)), &all); err != nil || len(all) != 5 {
					t.Errorf("payload of %q = %v, %v; want simplejwt's 5 claims", tok, all, err)
				}
			}
		})
	}
}
