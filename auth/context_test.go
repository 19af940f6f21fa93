package auth

import (
	"context"
	"testing"
)

func TestUserIsAuthenticated(t *testing.T) {
	tests := []struct {
		name string
		give User
		want bool
	}{
		{name: "anonymous", give: User{}, want: false},
		{name: "user", give: User{ID: 1, Username: "alice", Active: true}, want: true},
		{name: "negative id", give: User{ID: -1}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.IsAuthenticated(); got != tt.want {
				t.Errorf("%+v.IsAuthenticated() = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestContextAccessors(t *testing.T) {
	alice := User{ID: 1, Username: "alice", Active: true}
	claims := Claims{TokenType: Access, UserID: 1, JTI: "j", payload: "e30"}
	type otherKey struct{}
	tests := []struct {
		name       string
		give       context.Context
		wantUser   User
		wantClaims Claims
		wantOK     bool
	}{
		{name: "absent", give: context.Background(), wantUser: User{}, wantClaims: Claims{}, wantOK: false},
		{name: "other values only", give: context.WithValue(context.Background(), otherKey{}, alice), wantOK: false},
		{name: "present", give: WithUser(context.Background(), alice, claims), wantUser: alice, wantClaims: claims, wantOK: true},
		{name: "present under other values", give: context.WithValue(WithUser(context.Background(), alice, claims), otherKey{}, 1), wantUser: alice, wantClaims: claims, wantOK: true},
		{name: "anonymous put", give: WithUser(context.Background(), User{}, Claims{}), wantOK: true},
		{name: "innermost wins", give: WithUser(WithUser(context.Background(), User{ID: 2}, Claims{UserID: 2}), alice, claims), wantUser: alice, wantClaims: claims, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, uok := UserFrom(tt.give)
			c, cok := ClaimsFrom(tt.give)
			if u != tt.wantUser || uok != tt.wantOK {
				t.Errorf("UserFrom = %+v, %v; want %+v, %v", u, uok, tt.wantUser, tt.wantOK)
			}
			if c != tt.wantClaims || cok != tt.wantOK {
				t.Errorf("ClaimsFrom = %+v, %v; want %+v, %v", c, cok, tt.wantClaims, tt.wantOK)
			}
		})
	}
}
