package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

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
