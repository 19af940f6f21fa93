package auth

import (
	"bytes"
	"encoding/base64"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fast path of parse: tokens shaped as drover and simplejwt issue them
// are verified with golang-jwt's SigningMethod and Validator, as
// ParseWithClaims would verify them, but their header is compared with
// the one Tokens write instead of decoded, and their payload is read by
// decodeClaims instead of encoding/json's reflection. It only ever
// accepts: a token it declines, for any reason, goes through
// ParseWithClaims, which accepts or refuses it with the errors it always
// gave. So what Parse refuses, and why, is ParseWithClaims' alone; the
// fast path must only never accept what ParseWithClaims refuses, nor
// read claims other than it reads (FuzzDecodeClaims, FuzzParse).

// maxFastSignature is the longest signature the fast path decodes on the
// stack: RSA 4096. Longer ones take ParseWithClaims.
const maxFastSignature = 512

// fastParse verifies and decodes token if it has the header Tokens write
// (so its alg, typ and kid are the signing key's, and it has no crit) and
// a payload decodeClaims reads; ok false otherwise, and whenever a check
// fails. token has passed the size and alphabet checks.
func (t *Tokens) fastParse(token string) (w wireClaims, ok bool) {
	header, rest, _ := strings.Cut(token, ".")
	payload, sig, found := strings.Cut(rest, ".")
	if header != t.header || !found || strings.IndexByte(sig, '.') >= 0 {
		return w, false
	}
	enc := base64.RawURLEncoding.Strict()
	var buf [maxFastSignature]byte
	if enc.DecodedLen(len(sig)) > len(buf) {
		return w, false
	}
	n, err := enc.Decode(buf[:], []byte(sig))
	if err != nil {
		return w, false
	}
	// The key ParseWithClaims' keyfunc (key) picks for this header: the
	// signing key, or the HS256 secrets tried in order.
	signing := token[:len(header)+1+len(payload)]
	if t.secrets.Keys != nil {
		err = jwt.ErrTokenSignatureInvalid
		for _, k := range t.secrets.Keys {
			if err = t.method.Verify(signing, buf[:n], k); err == nil {
				break
			}
		}
	} else {
		err = t.method.Verify(signing, buf[:n], t.keys[0].key)
	}
	if err != nil {
		return w, false
	}
	claims, err := enc.DecodeString(payload)
	if err != nil {
		return w, false
	}
	if w, ok = decodeClaims(claims); !ok {
		return w, false
	}
	if t.validator.Validate(&w.RegisteredClaims) != nil {
		return wireClaims{}, false
	}
	return w, true
}

// The fields of wireClaims, by their JSON names.
const (
	fieldTokenType = iota
	fieldUserID
	fieldIss
	fieldSub
	fieldAud
	fieldExp
	fieldNbf
	fieldIat
	fieldJTI
)

var wireFields = [...]string{"token_type", "user_id", "iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// maxDecodeDepth is how deeply decodeClaims follows nested arrays and
// objects in the claims it skips; deeper ones it declines.
const maxDecodeDepth = 32

// decodeClaims reads payload, a token's decoded payload, into wireClaims
// as encoding/json would (json.Unmarshal into a *wireClaims, as
// ParseWithClaims does), or declines with ok false. It reads a subset of
// what encoding/json reads and declines the rest:
//
//   - the payload must be one JSON object, with only whitespace around
//     it; every value in it, however nested (up to maxDecodeDepth), is
//     checked against the JSON grammar, as encoding/json checks the whole
//     input before decoding;
//   - keys with an escape or a byte outside printable ASCII are declined,
//     and so is a key that matches a field's name only without regard to
//     case ("EXP", "Jti"), which encoding/json would fill the field with
//     and PyJWT would not; other keys are skipped;
//   - a field given twice is declined (encoding/json keeps the last);
//   - exp, nbf and iat must be non-negative integers of at most 15
//     digits, exact as float64 (golang-jwt's NumericDate reads floats;
//     1.5, 1e9 and the rest are declined);
//   - jti, iss, sub and aud must be strings of printable ASCII without
//     escapes (aud one string, not an array);
//   - token_type must be a string and user_id a number; both are kept
//     raw, as wireClaims keeps them;
//   - null is declined everywhere a field is.
func decodeClaims(payload []byte) (w wireClaims, ok bool) {
	s := scanner{b: payload}
	s.space()
	if !s.eat('{') {
		return w, false
	}
	var seen uint16
	s.space()
	if !s.eat('}') {
		for {
			s.space()
			start := s.i
			if !s.str() {
				return w, false
			}
			key := payload[start+1 : s.i-1]
			s.space()
			if !s.eat(':') {
				return w, false
			}
			s.space()
			start = s.i
			if !s.value(0) {
				return w, false
			}
			f := fieldOf(key)
			switch {
			case f == fieldDeclined:
				return w, false
			case f >= 0:
				if seen&(1<<f) != 0 || !w.set(f, payload[start:s.i]) {
					return w, false
				}
				seen |= 1 << f
			}
			s.space()
			if s.eat(',') {
				continue
			}
			if s.eat('}') {
				break
			}
			return w, false
		}
	}
	s.space()
	if s.i != len(payload) {
		return w, false
	}
	return w, true
}

// What fieldOf says of a key that is no field's.
const (
	fieldNone     = -1 // another claim: skipped
	fieldDeclined = -2 // a field's name but for case, or not plain ASCII
)

// fieldOf returns the field key (a JSON string's contents, unescaped or
// not) names, fieldNone or fieldDeclined.
func fieldOf(key []byte) int {
	for _, c := range key {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return fieldDeclined
		}
	}
	for i, name := range wireFields {
		switch {
		case string(key) == name:
			return i
		case bytes.EqualFold(key, []byte(name)):
			return fieldDeclined
		}
	}
	return fieldNone
}

// set stores raw, a JSON value the scanner checked, in field f, and
// reports whether it is one decodeClaims reads.
func (w *wireClaims) set(f int, raw []byte) bool {
	switch f {
	case fieldTokenType:
		if raw[0] != '"' {
			return false
		}
		w.TokenType = raw
	case fieldUserID:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return false
		}
		w.UserID = raw
	case fieldExp, fieldNbf, fieldIat:
		if len(raw) > 15 {
			return false
		}
		var n int64
		for _, c := range raw {
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int64(c-'0')
		}
		d := jwt.NewNumericDate(time.Unix(n, 0))
		switch f {
		case fieldExp:
			w.ExpiresAt = d
		case fieldNbf:
			w.NotBefore = d
		default:
			w.IssuedAt = d
		}
	default: // jti, iss, sub, aud
		v, ok := plainString(raw)
		if !ok {
			return false
		}
		switch f {
		case fieldJTI:
			w.ID = v
		case fieldIss:
			w.Issuer = v
		case fieldSub:
			w.Subject = v
		default:
			w.Audience = jwt.ClaimStrings{v}
		}
	}
	return true
}

// plainString returns the string raw, a JSON string, holds if it has
// only printable ASCII and no escape: then its contents are its value.
func plainString(raw []byte) (string, bool) {
	if raw[0] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return "", false
		}
	}
	return string(body), true
}

// scanner checks JSON text against the grammar of RFC 8259, as
// encoding/json's does: strings may hold any byte from 0x20 up (invalid
// UTF-8 included), escapes are the eight of the RFC and \u with four hex
// digits.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// value reads one JSON value.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{':
		if depth >= maxDecodeDepth {
			return false
		}
		s.i++
		s.space()
		if s.eat('}') {
			return true
		}
		for {
			s.space()
			if !s.str() {
				return false
			}
			s.space()
			if !s.eat(':') {
				return false
			}
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.eat(',') {
				continue
			}
			return s.eat('}')
		}
	case c == '[':
		if depth >= maxDecodeDepth {
			return false
		}
		s.i++
		s.space()
		if s.eat(']') {
			return true
		}
		for {
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.eat(',') {
				continue
			}
			return s.eat(']')
		}
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// str reads a JSON string.
func (s *scanner) str() bool {
	if !s.eat('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c < 0x20:
			return false
		case c == '"':
			s.i++
			return true
		case c != '\\':
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return false
		}
		switch s.b[s.i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.i += 2
		case 'u':
			if s.i+6 > len(s.b) {
				return false
			}
			for _, h := range s.b[s.i+2 : s.i+6] {
				if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
					return false
				}
			}
			s.i += 6
		default:
			return false
		}
	}
	return false
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.eat('.') && !s.digits() {
		return false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads one digit or more.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
