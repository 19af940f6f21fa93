package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenType is simplejwt's token_type claim.
type TokenType string

// The token types drover issues, as simplejwt names them.
const (
	// Access tokens authenticate requests (Authorization: Bearer).
	Access TokenType = "access"
	// Refresh tokens buy new access tokens at /api/token/refresh/.
	Refresh TokenType = "refresh"
)

// The defaults of [TokenConfig], as in simplejwt's settings.
const (
	// DefaultAlgorithm is simplejwt's ALGORITHM default.
	DefaultAlgorithm = "HS256"
	// DefaultAccessLifetime is simplejwt's ACCESS_TOKEN_LIFETIME default.
	DefaultAccessLifetime = 5 * time.Minute
	// DefaultRefreshLifetime is simplejwt's REFRESH_TOKEN_LIFETIME default.
	DefaultRefreshLifetime = 24 * time.Hour
	// DefaultMaxTokenSize is the longest token Parse reads by default, in
	// bytes: far more than any token drover issues.
	DefaultMaxTokenSize = 8192
)

// MinSecretSize is the shortest HS256 secret in bytes: the size of the
// hash (RFC 7518, section 3.2).
const MinSecretSize = 32

// TokenConfig configures signing and verification. Zero values mean
// defaults, filled in by [NewTokens].
type TokenConfig struct {
	// Algorithm is "HS256" (the default), "EdDSA", "ES256" or "RS256".
	// Parse accepts this algorithm and no other.
	Algorithm string
	// Secret is the HS256 key, at least 32 bytes ([ErrWeakSecret]
	// otherwise). Unused, and refused, with the other algorithms.
	Secret []byte
	// PrivateKeyPEM is the asymmetric signing key: PKCS#8 ("PRIVATE KEY"),
	// SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY"), unencrypted.
	PrivateKeyPEM []byte
	// PublicKeyPEM is the asymmetric verification key, PKIX ("PUBLIC
	// KEY"). It is derived from PrivateKeyPEM when empty and must match it
	// when both are set; alone, the Tokens verify but cannot issue.
	PublicKeyPEM []byte
	// AccessLifetime is how long access tokens live; 5 minutes by default.
	AccessLifetime time.Duration
	// RefreshLifetime is how long refresh tokens live; 24 hours by default.
	RefreshLifetime time.Duration
	// Audience, when set, is written as "aud" and required on parse.
	Audience string
	// Issuer, when set, is written as "iss" and required on parse.
	Issuer string
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway time.Duration
	// KeyID is the signing key's "kid". For EdDSA, ES256 and RS256 it
	// defaults to the RFC 7638 thumbprint of the public key ([Thumbprint]),
	// so that hosts sharing a key agree on it unconfigured; every token
	// carries it and the JWKS lists it. HS256 tokens carry a kid only
	// when KeyID is set, keeping simplejwt's header otherwise.
	KeyID string
	// VerifyKeysPEM are more PKIX ("PUBLIC KEY") public keys of
	// Algorithm, one PEM block each, that verify tokens but never sign:
	// the previous keys of a rotation. Each has its thumbprint as kid and
	// is listed in the JWKS after the signing key; a key given twice, or
	// that is the signing key, counts once. Refused with HS256.
	VerifyKeysPEM [][]byte
	// PreviousSecrets are earlier HS256 secrets, each at least 32 bytes,
	// that verify tokens but never sign: a token is tried with Secret
	// first, then with each of these in order. Refused with the other
	// algorithms.
	PreviousSecrets [][]byte
	// MaxTokenSize is the longest token Parse reads, in bytes; 8192 by
	// default. Longer tokens are refused before any parsing.
	MaxTokenSize int
	// VerifyCacheSize is how many access tokens that verified Parse
	// remembers, to answer them again without a signature check until
	// their exp (at most ten minutes): DefaultVerifyCacheSize when 0,
	// none (every token verified every time) when negative.
	VerifyCacheSize int
}

// withDefaults returns c with every zero value replaced by its default:
// the one place defaults are filled in.
func (c TokenConfig) withDefaults() TokenConfig {
	if c.Algorithm == "" {
		c.Algorithm = DefaultAlgorithm
	}
	if c.AccessLifetime == 0 {
		c.AccessLifetime = DefaultAccessLifetime
	}
	if c.RefreshLifetime == 0 {
		c.RefreshLifetime = DefaultRefreshLifetime
	}
	if c.MaxTokenSize == 0 {
		c.MaxTokenSize = DefaultMaxTokenSize
	}
	return c
}

// Claims are what a token says, as simplejwt writes them.
type Claims struct {
	// TokenType is the token_type claim.
	TokenType TokenType
	// UserID is the user_id claim, the user's primary key.
	UserID int64
	// JTI is the jti claim, the token's unique ID (32 lowercase hex
	// characters in the tokens drover and simplejwt issue).
	JTI string
	// IssuedAt is the iat claim, zero if the token has none.
	IssuedAt time.Time
	// ExpiresAt is the exp claim.
	ExpiresAt time.Time

	// payload is the token's payload segment, still base64url-encoded,
	// for [Claims.Decode] and [Claims.Claim] to read the other claims
	// only when asked. A substring of the token: keeping it costs no
	// allocation. Never the whole token: a Claims printed or logged
	// must not carry a credential, and the payload without its
	// signature is none.
	payload string
}

// Tokens issues and verifies simplejwt-compatible JWTs with one algorithm:
// it signs with one key and verifies with that key and the previous ones
// of a rotation ([TokenConfig.VerifyKeysPEM], [TokenConfig.PreviousSecrets]).
// It is safe for concurrent use.
type Tokens struct {
	alg     string
	method  jwt.SigningMethod
	signKey any // nil when only a public key was given
	// keys verify: the signing key's (or the public key's) first, then
	// the verify keys, each with its kid. For HS256 the current secret,
	// then the previous ones, every kid the KeyID (or "" without one).
	keys []verifyKey
	// secrets are the HS256 keys to try, in keys' order, for a token
	// whose kid names the secrets (or that has none).
	secrets jwt.VerificationKeySet
	access  time.Duration
	refresh time.Duration
	maxSize int

	sigSize     int    // bytes in a signature, to size the token once
	header      string // base64url of the JOSE header every token gets
	payloadTail string // `,"aud":…,"iss":…}`, the end of every payload
	parser      *jwt.Parser
	validator   *jwt.Validator // the parser's checks of the claims, for fastParse
	keyfunc     jwt.Keyfunc
	jwks        []byte       // nil for HS256
	verified    *verifyCache // access tokens Parse accepted; nil when off

	now func() time.Time // the clock; a test seam
}

// NewTokens checks cfg, parses its keys once and returns Tokens ready to
// issue and parse. Its errors name the setting at fault.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	cfg = cfg.withDefaults()
	switch {
	case cfg.AccessLifetime < time.Second:
		return nil, fmt.Errorf("access token lifetime %v: must be at least 1s", cfg.AccessLifetime)
	case cfg.RefreshLifetime < time.Second:
		return nil, fmt.Errorf("refresh token lifetime %v: must be at least 1s", cfg.RefreshLifetime)
	case cfg.Leeway < 0:
		return nil, fmt.Errorf("token leeway %v: must not be negative", cfg.Leeway)
	case cfg.MaxTokenSize < 0:
		return nil, fmt.Errorf("max token size %d: must not be negative", cfg.MaxTokenSize)
	}
	t := &Tokens{
		alg:     cfg.Algorithm,
		access:  cfg.AccessLifetime,
		refresh: cfg.RefreshLifetime,
		maxSize: cfg.MaxTokenSize,
		now:     time.Now,
	}
	t.verified = newVerifyCache(cfg.VerifyCacheSize)
	kid := cfg.KeyID
	switch cfg.Algorithm {
	case "HS256":
		if err := t.secretKeys(cfg); err != nil {
			return nil, err
		}
	case "EdDSA", "ES256", "RS256":
		var err error
		if kid, err = t.publicKeys(cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("token algorithm %q: want HS256, EdDSA, ES256 or RS256", cfg.Algorithm)
	}

	// The header and the end of the payload are the same in every token.
	// Keys in the order PyJWT writes them: the header sorted, the payload
	// as simplejwt fills it in.
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid,omitempty"`
		Typ string `json:"typ"`
	}{cfg.Algorithm, kid, "JWT"})
	if err != nil {
		return nil, fmt.Errorf("token header: %w", err)
	}
	t.header = base64.RawURLEncoding.EncodeToString(header)
	tail := []byte{}
	for _, c := range []struct{ name, value string }{{"aud", cfg.Audience}, {"iss", cfg.Issuer}} {
		if c.value == "" {
			continue
		}
		v, err := json.Marshal(c.value)
		if err != nil {
			return nil, fmt.Errorf("token %s: %w", c.name, err)
		}
		tail = append(append(tail, `,"`+c.name+`":`...), v...)
	}
	t.payloadTail = string(append(tail, '}'))

	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{cfg.Algorithm}),
		// exp is required, but after the checks PyJWT makes (Parse),
		// so that a missing exp is told apart as simplejwt tells it.
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	t.parser = jwt.NewParser(opts...)
	t.validator = jwt.NewValidator(opts...) // as the parser builds its own
	t.keyfunc = t.key
	return t, nil
}

// verifyKey is one key tokens are verified with, and its kid.
type verifyKey struct {
	kid string
	key any // []byte for HS256, a crypto.PublicKey otherwise
}

// secretKeys sets up HS256: cfg's secret signs, it and the previous
// secrets verify.
func (t *Tokens) secretKeys(cfg TokenConfig) error {
	switch {
	case len(cfg.PrivateKeyPEM) > 0 || len(cfg.PublicKeyPEM) > 0 || len(cfg.VerifyKeysPEM) > 0:
		return errors.New("token algorithm HS256 uses Secret and PreviousSecrets, not PEM keys")
	case len(cfg.Secret) < MinSecretSize:
		return fmt.Errorf("token secret: %w (got %d)", ErrWeakSecret, len(cfg.Secret))
	}
	t.method, t.sigSize = jwt.SigningMethodHS256, sha256.Size
	for i, s := range append([][]byte{cfg.Secret}, cfg.PreviousSecrets...) {
		if len(s) < MinSecretSize { // i > 0: Secret's size was checked
			return fmt.Errorf("token previous secret %d: %w (got %d)", i-1, ErrWeakSecret, len(s))
		}
		if slices.ContainsFunc(t.keys, func(k verifyKey) bool { return bytes.Equal(k.key.([]byte), s) }) {
			continue
		}
		secret := bytes.Clone(s) // the caller's slice may change
		t.keys = append(t.keys, verifyKey{kid: cfg.KeyID, key: secret})
		t.secrets.Keys = append(t.secrets.Keys, secret)
	}
	t.signKey = t.keys[0].key
	return nil
}

// publicKeys sets up an asymmetric algorithm: cfg's key pair signs (when
// there is a private key) and verifies, and so do the verify keys. It
// returns the signing key's kid.
func (t *Tokens) publicKeys(cfg TokenConfig) (string, error) {
	if len(cfg.Secret) > 0 || len(cfg.PreviousSecrets) > 0 {
		return "", fmt.Errorf("token algorithm %s uses PEM keys, not Secret or PreviousSecrets", cfg.Algorithm)
	}
	sign, verify, err := parseKeyPair(cfg.Algorithm, cfg.PrivateKeyPEM, cfg.PublicKeyPEM)
	if err != nil {
		return "", fmt.Errorf("token %s key: %w", cfg.Algorithm, err)
	}
	if sign != nil { // a nil crypto.Signer must stay a nil any: verify only
		t.signKey = sign
	}
	t.method = jwt.GetSigningMethod(cfg.Algorithm)
	t.sigSize = signatureSize(verify)
	kid := cfg.KeyID
	if kid == "" {
		if kid, err = Thumbprint(verify); err != nil {
			return "", fmt.Errorf("token %s key: %w", cfg.Algorithm, err)
		}
	}
	t.keys = []verifyKey{{kid: kid, key: verify}}
	for i, data := range cfg.VerifyKeysPEM {
		pub, err := parseVerifyKey(cfg.Algorithm, data)
		if err != nil {
			return "", fmt.Errorf("token %s verify key %d: %w", cfg.Algorithm, i, err)
		}
		if slices.ContainsFunc(t.keys, func(k verifyKey) bool { return equalKeys(k.key, pub) }) {
			continue
		}
		thumb, err := Thumbprint(pub)
		if err != nil {
			return "", fmt.Errorf("token %s verify key %d: %w", cfg.Algorithm, i, err)
		}
		if thumb == kid { // only a KeyID chosen to be another key's thumbprint
			return "", fmt.Errorf("token %s verify key %d: its kid %q is the signing key's KeyID", cfg.Algorithm, i, thumb)
		}
		t.keys = append(t.keys, verifyKey{kid: thumb, key: pub})
	}
	if t.jwks, err = marshalJWKS(cfg.Algorithm, t.keys); err != nil {
		return "", err
	}
	return kid, nil
}

// Lifetime returns how long tokens of type typ live, 0 for an unknown type.
func (t *Tokens) Lifetime(typ TokenType) time.Duration {
	switch typ {
	case Access:
		return t.access
	case Refresh:
		return t.refresh
	}
	return 0
}

// Issue signs a new token of type typ for the user userID, with the claims
// simplejwt 5.2 writes, in its order: token_type, exp, iat, jti (32 random
// hex characters), user_id, then aud and iss when configured. It returns
// the token and its claims, which read the whole payload too
// ([Claims.Decode]). exp and iat are whole seconds, as simplejwt writes
// them.
func (t *Tokens) Issue(typ TokenType, userID int64) (string, Claims, error) {
	return t.issue(typ, userID, nil)
}

// IssueWith is [Tokens.Issue] with the claims of extra added: each value
// JSON-encoded with encoding/json, keys in sorted order, after user_id and
// before aud and iss, so that simplejwt's own claims keep their order.
// Names drover sets itself are refused ([ErrReservedClaim]), and so is a
// "sub" that is not a string (PyJWT and drover's parser refuse the
// token); a value encoding/json cannot encode is an error naming the
// claim, and so is a token longer than MaxTokenSize, which [Tokens.Parse]
// would refuse. A nil or empty extra issues what Issue issues.
func (t *Tokens) IssueWith(typ TokenType, userID int64, extra map[string]any) (string, Claims, error) {
	more, err := encodeClaims(extra)
	if err != nil {
		return "", Claims{}, fmt.Errorf("issue %s token: %w", typ, err)
	}
	return t.issueSized(typ, userID, more)
}

// issueSized is issue, refusing a token Parse would refuse for its size.
func (t *Tokens) issueSized(typ TokenType, userID int64, more []byte) (string, Claims, error) {
	token, c, err := t.issue(typ, userID, more)
	if err != nil {
		return "", Claims{}, err
	}
	if len(token) > t.maxSize {
		return "", Claims{}, fmt.Errorf("issue %s token: %d bytes, more than the %d that Parse accepts (MaxTokenSize)", typ, len(token), t.maxSize)
	}
	return token, c, nil
}

// issue signs a token; more is the encoded extra claims
// (`,"name":value…`, see encodeClaims), nil for none.
func (t *Tokens) issue(typ TokenType, userID int64, more []byte) (string, Claims, error) {
	life := t.Lifetime(typ)
	switch {
	case life == 0:
		return "", Claims{}, fmt.Errorf("issue token: unknown token type %q", typ)
	case userID <= 0:
		return "", Claims{}, fmt.Errorf("issue %s token: user id %d is not positive", typ, userID)
	case t.signKey == nil:
		return "", Claims{}, fmt.Errorf("issue %s token: %s is configured with a public key only", typ, t.alg)
	}
	now := t.now()
	c := Claims{
		TokenType: typ,
		UserID:    userID,
		IssuedAt:  time.Unix(now.Unix(), 0).UTC(),
		ExpiresAt: time.Unix(now.Add(life).Unix(), 0).UTC(),
	}
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails: crypto/rand crashes the program instead
	var jti [32]byte
	hex.Encode(jti[:], id[:])

	var buf [192]byte
	p := append(buf[:0], `{"token_type":"`...)
	p = append(p, typ...)
	p = append(p, `","exp":`...)
	p = strconv.AppendInt(p, c.ExpiresAt.Unix(), 10)
	p = append(p, `,"iat":`...)
	p = strconv.AppendInt(p, c.IssuedAt.Unix(), 10)
	p = append(p, `,"jti":"`...)
	p = append(p, jti[:]...)
	p = append(p, `","user_id":`...)
	p = strconv.AppendInt(p, userID, 10)
	p = append(p, more...)
	p = append(p, t.payloadTail...)

	// header.payload.signature, allocated once.
	out := make([]byte, 0, len(t.header)+2+base64.RawURLEncoding.EncodedLen(len(p))+base64.RawURLEncoding.EncodedLen(t.sigSize))
	out = append(out, t.header...)
	out = append(out, '.')
	out = base64.RawURLEncoding.AppendEncode(out, p)
	sig, err := t.method.Sign(string(out), t.signKey)
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign %s token: %w", typ, err)
	}
	out = append(out, '.')
	out = base64.RawURLEncoding.AppendEncode(out, sig)
	c.JTI = string(jti[:])
	token := string(out)
	c.payload = payloadSegment(token)
	return token, c, nil
}

// wireClaims is the payload Parse decodes: simplejwt's claims next to the
// registered ones (exp, iat, nbf, aud, iss, jti as RegisteredClaims.ID).
// token_type and user_id stay raw until the signature, the times and jti
// have passed, so that each is judged where simplejwt judges it: a
// token_type that is not a string is the wrong type, not a malformed
// token, and verify, which looks at neither, is not refused for them.
// encoding/json matches keys case-insensitively ("EXP" fills exp) where
// PyJWT does not; only payloads signed with the key get that far.
type wireClaims struct {
	TokenType json.RawMessage `json:"token_type"` // nil when absent
	UserID    json.RawMessage `json:"user_id"`    // nil when absent
	jwt.RegisteredClaims
}

// Parse verifies token and returns its claims if it is a valid token of
// type want. Following RFC 8725 and simplejwt, it refuses tokens longer
// than MaxTokenSize or with characters other than base64url and "."
// before parsing; decodes base64url strictly (unpadded, canonical);
// accepts only the configured algorithm; verifies with the configured key
// the kid names, or the signing key without a kid (the secrets in turn
// for HS256), refusing a kid that names none of them; refuses a crit
// header; checks exp, nbf and
// iat when present (with Leeway), aud and iss when configured; then, in
// simplejwt's order, requires exp, a non-empty jti, a token_type of want
// and a positive integer user_id.
//
// The claims it returns also read the token's other claims, when asked
// ([Claims.Decode], [Claims.Claim]).
//
// An access token Parse accepted is answered from a cache until its exp,
// for at most ten minutes, without being verified again
// ([TokenConfig.VerifyCacheSize]); a refresh token is verified every
// time.
//
// Errors wrap [ErrTokenInvalid] (with [ErrNoExp], [ErrNoJTI],
// [ErrNoTokenType] or [ErrNoUserID] for a missing claim), or
// [ErrWrongTokenType] for a valid token of another type; [TokenMessage]
// turns them into simplejwt's detail.
func (t *Tokens) Parse(token string, want TokenType) (Claims, error) {
	if want != Access && want != Refresh {
		return Claims{}, fmt.Errorf("%w: unknown token type %q asked for", ErrTokenInvalid, want)
	}
	var now time.Time
	if want == Access && t.verified != nil {
		now = t.now()
		if c, ok := t.verified.get(token, now); ok {
			c.payload = payloadSegment(token)
			return c, nil
		}
	}
	w, err := t.parse(token)
	if err != nil {
		return Claims{}, err
	}
	typ, _ := jsonString(w.TokenType)
	switch {
	case w.TokenType == nil:
		return Claims{}, missing(ErrNoTokenType)
	case typ != string(want) && typ != string(Access) && typ != string(Refresh):
		return Claims{}, fmt.Errorf("%w: unknown token_type where %s was expected", ErrWrongTokenType, want)
	case typ != string(want):
		return Claims{}, fmt.Errorf("%w: %s token where %s was expected", ErrWrongTokenType, typ, want)
	case w.UserID == nil:
		return Claims{}, missing(ErrNoUserID)
	}
	c := w.claims()
	if c.UserID == 0 {
		return Claims{}, fmt.Errorf("%w: user_id not a positive integer", ErrTokenInvalid)
	}
	if want == Access && t.verified != nil {
		// now was read before the checks: the window starts no later
		// than the time they used.
		t.verified.put(token, c, now)
	}
	c.payload = payloadSegment(token)
	return c, nil
}

// ParseUntyped verifies token as simplejwt's UntypedToken does for
// /api/token/verify/: everything [Tokens.Parse] checks up to and including
// jti, but neither token_type nor user_id. The claims carry the token's
// token_type when it is a string ("" otherwise) and its user_id when it is
// a positive integer (0 otherwise). Errors are Parse's.
func (t *Tokens) ParseUntyped(token string) (Claims, error) {
	w, err := t.parse(token)
	if err != nil {
		return Claims{}, err
	}
	c := w.claims()
	c.payload = payloadSegment(token)
	return c, nil
}

// parse checks what every token is checked for, in simplejwt's order:
// size and alphabet, then what PyJWT's decode checks (signature and
// algorithm, exp, nbf and iat when present, aud and iss), then that exp
// and jti are present, as simplejwt's Token.verify requires them. Tokens
// of the shape Tokens issue are verified and decoded by fastParse; the
// others, and all it declines, by golang-jwt's ParseWithClaims.
func (t *Tokens) parse(token string) (wireClaims, error) {
	var w wireClaims
	switch {
	case len(token) > t.maxSize:
		return w, fmt.Errorf("%w: longer than %d bytes", ErrTokenInvalid, t.maxSize)
	case !compact(token):
		return w, fmt.Errorf("%w: malformed", ErrTokenInvalid)
	}
	if fast, ok := t.fastParse(token); ok {
		w = fast
	} else if _, err := t.parser.ParseWithClaims(token, &w, t.keyfunc); err != nil {
		return w, parseError(err)
	}
	switch {
	case w.ExpiresAt == nil:
		return w, missing(ErrNoExp)
	case w.ID == "":
		return w, missing(ErrNoJTI)
	}
	return w, nil
}

// payloadSegment returns the payload segment of a token in compact
// serialization (what lies between its first two dots), "" if it has
// none.
func payloadSegment(token string) string {
	_, rest, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	payload, _, _ := strings.Cut(rest, ".")
	return payload
}

// missing is the error of a token that lacks claim (ErrNoExp …): both
// ErrTokenInvalid and the claim's sentinel.
func missing(claim error) error {
	return fmt.Errorf("%w: %w", ErrTokenInvalid, claim)
}

// claims returns w as Claims: TokenType "" unless token_type is a string,
// UserID 0 unless user_id is a positive integer.
func (w *wireClaims) claims() Claims {
	typ, _ := jsonString(w.TokenType)
	c := Claims{TokenType: TokenType(typ), JTI: w.ID}
	if w.ExpiresAt != nil {
		c.ExpiresAt = w.ExpiresAt.UTC()
	}
	if w.IssuedAt != nil {
		c.IssuedAt = w.IssuedAt.UTC()
	}
	// A JSON integer, as encoding/json would decode it into an int64:
	// no fraction, no exponent, no quotes.
	if id, err := strconv.ParseInt(string(w.UserID), 10, 64); err == nil && id > 0 {
		c.UserID = id
	}
	return c
}

// jsonString returns the string a raw JSON value holds, and whether it is
// a string at all; the two token types drover issues are recognised
// without decoding.
func jsonString(raw json.RawMessage) (string, bool) {
	switch string(raw) {
	case `"access"`:
		return string(Access), true
	case `"refresh"`:
		return string(Refresh), true
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// compact reports whether s holds only what a JWS in compact serialization
// may: base64url characters and dots. Go's base64 decoders skip CR and LF,
// so without this check a newline could be added to a signature and the
// token would still verify.
func compact(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Why the keyfunc refuses a token.
var (
	errAlgorithm  = errors.New("algorithm not allowed")
	errUnknownKid = errors.New("unknown kid")
	errCrit       = errors.New("crit header not supported")
)

// key is the parser's keyfunc. A token's kid chooses among the configured
// keys alone, never loading one from anywhere: a kid that is none of
// theirs is refused (errUnknownKid), as is a kid that is not a string.
// A token without kid is verified with the signing key, or for HS256 with
// the current secret, then the previous ones; an HS256 kid must be the
// KeyID, and then the same secrets are tried. A crit header (RFC 7515,
// section 4.1.11) is refused since no extension is understood.
func (t *Tokens) key(tok *jwt.Token) (any, error) {
	if tok.Method.Alg() != t.alg {
		return nil, errAlgorithm // already refused by WithValidMethods
	}
	if _, ok := tok.Header["crit"]; ok {
		return nil, errCrit
	}
	raw, hasKid := tok.Header["kid"]
	kid, isString := raw.(string)
	switch {
	case hasKid && !isString:
		return nil, errUnknownKid
	case t.secrets.Keys != nil:
		if hasKid && (t.keys[0].kid == "" || kid != t.keys[0].kid) {
			return nil, errUnknownKid
		}
		if len(t.secrets.Keys) == 1 {
			return t.secrets.Keys[0], nil
		}
		return t.secrets, nil
	case !hasKid:
		return t.keys[0].key, nil
	}
	for _, k := range t.keys {
		if k.kid == kid {
			return k.key, nil
		}
	}
	return nil, errUnknownKid
}

// parseError wraps the parser's error in ErrTokenInvalid with a short
// reason, for logs; the client only ever sees TokenMessage.
func parseError(err error) error {
	var reason string
	switch {
	case errors.Is(err, errUnknownKid):
		reason = errUnknownKid.Error()
	case errors.Is(err, errCrit):
		reason = errCrit.Error()
	case errors.Is(err, errAlgorithm):
		reason = errAlgorithm.Error()
	case errors.Is(err, jwt.ErrTokenMalformed):
		reason = "malformed"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		reason = "unverifiable"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		reason = "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenExpired):
		reason = "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		reason = "not yet valid"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		reason = "issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		reason = "wrong audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		reason = "wrong issuer"
	default:
		reason = err.Error()
	}
	return fmt.Errorf("%w: %s", ErrTokenInvalid, reason)
}
