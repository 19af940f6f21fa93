package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ClaimsFunc returns the claims to add to the tokens issued for u, as
// overriding simplejwt's TokenObtainPairSerializer.get_token adds them:
// {"plan": "pro"} puts "plan":"pro" in the tokens, for the program's
// handlers to read with [Claims.Decode] or [Claims.Claim]. u is the
// store's row without its PasswordHash. An error, or a name drover sets
// itself ([ErrReservedClaim]), fails the login or refresh with no token
// issued; the HTTP layer answers it as a server error, since it is the
// program's bug, not the client's.
type ClaimsFunc func(ctx context.Context, u User) (map[string]any, error)

// ErrReservedClaim is wrapped by the error of a [ClaimsFunc] or
// [Tokens.IssueWith] that sets a claim drover sets itself or refuses:
// token_type, exp, iat, jti, user_id, aud, iss and nbf, matched without
// regard to case. The error names the claim (`"exp" is set by drover and
// cannot be overwritten`).
var ErrReservedClaim = errors.New("reserved claim")

// reservedClaimError names the reserved claim a hook set.
type reservedClaimError struct{ name string }

func (e *reservedClaimError) Error() string {
	return fmt.Sprintf("%q is set by drover and cannot be overwritten", e.name)
}

func (e *reservedClaimError) Unwrap() error { return ErrReservedClaim }

// reservedClaim reports whether name is a claim extra claims may not set:
// simplejwt's own (token_type, exp, iat, jti, user_id), and aud, iss and
// nbf. aud above all: PyJWT refuses a token with an aud its caller did not
// ask for, so a stray "aud" would make every token unusable to a DRF
// consumer of drover's tokens; iss and nbf are checked by both verifiers
// too. Names are compared without regard to case because drover's parser
// (encoding/json) matches keys that way: a "User_ID" placed after user_id
// would be the user_id drover reads, and not the one PyJWT reads.
func reservedClaim(name string) bool {
	for _, r := range [...]string{"token_type", "exp", "iat", "jti", "user_id", "aud", "iss", "nbf"} {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// encodeClaims encodes extra as the members it adds to a payload,
// `,"name":value` for each claim in sorted order; nil when extra is
// empty. Values are encoded with encoding/json.
func encodeClaims(extra map[string]any) ([]byte, error) {
	if len(extra) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	slices.Sort(names)
	var b []byte
	for _, name := range names {
		if reservedClaim(name) {
			return nil, &reservedClaimError{name: name}
		}
		v, err := json.Marshal(extra[name])
		if err != nil {
			return nil, fmt.Errorf("claim %q: %w", name, err)
		}
		// PyJWT (since 2.10) and drover's parser (jwt.RegisteredClaims)
		// refuse a token whose sub is not a string.
		if strings.EqualFold(name, "sub") && v[0] != '"' {
			return nil, fmt.Errorf("claim %q: %s is not a string", name, v)
		}
		k, err := json.Marshal(name)
		if err != nil {
			return nil, fmt.Errorf("claim %q: %w", name, err)
		}
		b = append(b, ',')
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, v...)
	}
	return b, nil
}

// errNoPayload is the error of Decode and Claim on Claims that did not
// come from a token (the zero Claims).
var errNoPayload = errors.New("claims carry no token payload")

// Decode unmarshals the token's whole payload (simplejwt's claims and any
// other, such as a "plan" added at login) into v with encoding/json, as
// json.Unmarshal does: v is typically a pointer to a struct with
// `json:"plan"` tags, or to a map[string]any. The payload is decoded at
// each call, not when the token is parsed, so a request that reads no
// other claim pays nothing for them. Keys match as encoding/json matches
// them (case-insensitively when no field matches exactly). Claims of
// [Tokens.Parse], [Tokens.ParseUntyped], [Tokens.Issue] and
// [Service.Authenticate] can be decoded; the zero Claims cannot.
func (c Claims) Decode(v any) error {
	payload, err := c.decodePayload()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("decode token claims: %w", err)
	}
	return nil
}

// Claim unmarshals the token's claim name into v with encoding/json and
// reports whether the token has it: (false, nil) for a claim it lacks,
// (true, err) for one that does not fit in v. Names match exactly (as
// PyJWT reads them, unlike [Claims.Decode] into a struct). Like Decode,
// it decodes the payload at each call; to read several claims, Decode
// them into one struct.
func (c Claims) Claim(name string, v any) (found bool, err error) {
	payload, err := c.decodePayload()
	if err != nil {
		return false, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(payload, &all); err != nil {
		return false, fmt.Errorf("decode token claims: %w", err)
	}
	raw, ok := all[name]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode token claim %q: %w", name, err)
	}
	return true, nil
}

// decodePayload returns the payload's JSON. It was verified with the
// token, so only the zero Claims fails here.
func (c Claims) decodePayload() ([]byte, error) {
	if c.payload == "" {
		return nil, errNoPayload
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(c.payload)
	if err != nil {
		return nil, fmt.Errorf("decode token payload: %w", err)
	}
	return payload, nil
}
