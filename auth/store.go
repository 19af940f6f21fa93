package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Errors of a [Store], for callers to branch on with errors.Is.
var (
	// ErrNotFound: no user, or no refresh token, by that key. A refresh
	// token is also not found once [Store.Prune] removed it.
	ErrNotFound = errors.New("not found")
	// ErrUserExists: CreateUser with a username that is taken.
	ErrUserExists = errors.New("user exists")
	// ErrRefreshReused: a refresh token presented again after it was
	// rotated. RotateRefresh and RevokeRefresh return it inside a
	// [*ReuseError] that says what they did to the token's family.
	ErrRefreshReused = errors.New("refresh token reused after rotation")
	// ErrRefreshRevoked: a refresh token that was blacklisted, or whose
	// family was revoked (a reuse, a blacklisted ancestor, or
	// RevokeUserRefresh).
	ErrRefreshRevoked = errors.New("refresh token revoked")
	// ErrRefreshExpired: a refresh token past its expiry.
	ErrRefreshExpired = errors.New("refresh token expired")
	// ErrStoreUnavailable: the store could not be reached or did not
	// answer in time (a database server down, restarting or overloaded,
	// a connection lost). The request may succeed when retried; the HTTP
	// layer answers 503. A store wraps its driver's error with it.
	ErrStoreUnavailable = errors.New("store unavailable")
)

// RefreshToken is a refresh token as the store records it. The store
// keeps the SHA-256 of JTI, never JTI itself: a copy of the database
// cannot be turned back into usable token IDs.
type RefreshToken struct {
	// JTI is the token's jti claim.
	JTI string
	// Family groups a login's refresh token with all those rotated from
	// it: reuse of any of them revokes all of them. AddRefresh takes it
	// from the caller (empty means: named after the token); RotateRefresh
	// ignores it and uses the family of the token it consumes.
	Family string
	// UserID is the token's user_id claim.
	UserID int64
	// ExpiresAt is the token's exp claim. A token is expired from that
	// instant on (RFC 7519: "on or after").
	ExpiresAt time.Time
}

// Reuse is what presenting a rotated refresh token again did to its
// family.
type Reuse int

const (
	// ReuseInGrace: the token was rotated less than the grace window ago
	// (a retry after a lost response, two tabs of one browser): refused,
	// nothing revoked.
	ReuseInGrace Reuse = iota
	// ReuseRevoked: the reuse revoked the family, its newest token
	// included.
	ReuseRevoked
	// ReuseAfterRevocation: the family was revoked already; nothing
	// changed.
	ReuseAfterRevocation
)

func (r Reuse) String() string {
	switch r {
	case ReuseInGrace:
		return "within the grace window, nothing revoked"
	case ReuseRevoked:
		return "family revoked"
	case ReuseAfterRevocation:
		return "family already revoked"
	}
	return fmt.Sprintf("Reuse(%d)", int(r))
}

// ReuseError is the refusal of a rotated refresh token presented again.
// It matches [ErrRefreshReused] with errors.Is.
type ReuseError struct {
	// Family is the ID of the token's family, as the store keeps it.
	Family string
	// RotatedAt is when the token was rotated.
	RotatedAt time.Time
	// Outcome is what the reuse did to the family.
	Outcome Reuse
}

func (e *ReuseError) Error() string {
	return fmt.Sprintf("%v (family %s): %v", ErrRefreshReused, e.Family, e.Outcome)
}

// Unwrap makes a ReuseError match ErrRefreshReused.
func (e *ReuseError) Unwrap() error { return ErrRefreshReused }

// Store is what drover keeps: users, and the state of every refresh token
// (families, rotation, blacklist). Implementations are safe for concurrent
// use, also from several processes sharing them.
type Store interface {
	// CreateUser adds an active user; a taken username is ErrUserExists.
	CreateUser(ctx context.Context, username, passwordHash string) (User, error)
	// UserByName finds a user by exact (case-sensitive) username, or
	// returns ErrNotFound.
	UserByName(ctx context.Context, username string) (User, error)
	// UserByID finds a user by ID, or returns ErrNotFound.
	UserByID(ctx context.Context, id int64) (User, error)
	// Users lists every user, by ID.
	Users(ctx context.Context) ([]User, error)
	// ImportUser adds u as given: its ID, hash, active state, joined and
	// last-login times (a user carried over from Django). A taken
	// username or ID is ErrUserExists. Later CreateUser calls never reuse
	// an imported ID.
	ImportUser(ctx context.Context, u User) error
	// DeleteUser deletes a user and every refresh token the user holds;
	// ErrNotFound if no such user.
	DeleteUser(ctx context.Context, userID int64) error
	// SetPassword replaces a user's password hash; ErrNotFound if no such user.
	SetPassword(ctx context.Context, userID int64, passwordHash string) error
	// SetActive allows or forbids a user's logins; ErrNotFound if no such user.
	SetActive(ctx context.Context, userID int64, active bool) error
	// SetLastLogin records a user's successful login at t (Django's
	// last_login); ErrNotFound if no such user.
	SetLastLogin(ctx context.Context, userID int64, t time.Time) error
	// PasswordSchemes returns the distinct algorithms and costs of the
	// stored password hashes: each hash without its salt and key, like
	// "pbkdf2_sha256$260000$", so that an unknown user's dummy check can
	// cost what the slowest of them costs.
	PasswordSchemes(ctx context.Context) ([]string, error)

	// AddRefresh records a refresh token issued at login, the first of a
	// new family.
	AddRefresh(ctx context.Context, t RefreshToken) error
	// RotateRefresh consumes old and records next (same family) as ONE
	// conditional write, so two simultaneous rotations of the same token
	// cannot both succeed. If old was already rotated (a reused token) a
	// [*ReuseError] is returned: rotated less than grace before now, the
	// family is left alone (ReuseInGrace); else the whole family is revoked
	// (ReuseRevoked). Blacklisted or in a revoked family →
	// ErrRefreshRevoked; unknown → ErrNotFound; expired at now →
	// ErrRefreshExpired. On any error, next is not recorded.
	RotateRefresh(ctx context.Context, oldJTI string, next RefreshToken, now time.Time, grace time.Duration) error
	// RevokeRefresh blacklists one usable refresh token (POST
	// /api/token/blacklist/) as ONE conditional write, so that it cannot
	// interleave with a rotation of the same token. A token already
	// rotated revokes its whole family, whenever it was rotated, and
	// returns a [*ReuseError]; blacklisted or in a revoked family →
	// ErrRefreshRevoked; unknown → ErrNotFound; expired at now →
	// ErrRefreshExpired.
	RevokeRefresh(ctx context.Context, jti string, now time.Time) error
	// RevokeUserRefresh revokes every family of the user's refresh
	// tokens (after a password change or a deactivation) and returns how
	// many it revoked.
	RevokeUserRefresh(ctx context.Context, userID int64, now time.Time) (int64, error)
	// RefreshState returns nil if the token may still be used, else
	// ErrRefreshRevoked (blacklisted, or its family revoked),
	// ErrRefreshReused (already rotated) or ErrNotFound. It does not look
	// at expiry: the token's exp claim says that.
	RefreshState(ctx context.Context, jti string) error
	// Prune deletes the refresh tokens expired at now, and the families
	// left empty, and returns how many tokens it deleted.
	Prune(ctx context.Context, now time.Time) (int64, error)
	// Close releases the store.
	Close() error
}

// hashJTI is what the store keeps of a jti: its SHA-256, in hex.
func hashJTI(jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return hex.EncodeToString(sum[:])
}

// refusedToken is what a store reads of a refresh token that its
// conditional UPDATE did not match, to say why: the decision is the same
// for every store, made here once.
type refusedToken struct {
	family               string
	rotatedAt            *int64 // Unix nanoseconds; nil: never rotated
	blacklisted, revoked bool
	expiresAt            int64
}

// refusal says why the token cannot be used at now: a [*ReuseError] for
// a rotated one, ErrRefreshRevoked (blacklisted, or its family revoked)
// or ErrRefreshExpired. revoke is true when the reuse must revoke the
// family: the store then revokes it (revokeFamilySQL, conditional on it
// not being revoked yet) and passes the refusal through reused, with
// whether its write revoked it.
func (r refusedToken) refusal(now int64, grace time.Duration) (refusal error, revoke bool) {
	switch {
	case r.rotatedAt != nil:
		reuse := &ReuseError{Family: r.family, RotatedAt: time.Unix(0, *r.rotatedAt).UTC()}
		switch {
		case r.revoked:
			reuse.Outcome = ReuseAfterRevocation
		case grace > 0 && now-*r.rotatedAt < int64(grace):
			// The rotation's answer may not have reached its client (a
			// retry, a second tab): refused as simplejwt refuses a
			// rotated token, and the newer tokens still work.
			reuse.Outcome = ReuseInGrace
		default:
			// Reuse: whoever holds the newer tokens of this family,
			// thief or owner, loses them.
			reuse.Outcome = ReuseRevoked
			return reuse, true
		}
		return reuse, false
	case r.blacklisted, r.revoked:
		return ErrRefreshRevoked, false
	case r.expiresAt <= now:
		return ErrRefreshExpired, false
	}
	return errors.New("token neither usable nor refused"), false // cannot happen: the UPDATE would have matched
}

// revokeFamilySQL revokes a reused token's family unless it is revoked
// already, so that of two reuses at once one revokes and the other
// finds it revoked. Parameters: the time, the family.
const revokeFamilySQL = `UPDATE refresh_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`

// reused records what the family revocation of a reuse did: none
// revoked means another reuse revoked it first.
func reused(refusal error, revokedNow bool) error {
	var reuse *ReuseError
	if !revokedNow && errors.As(refusal, &reuse) {
		reuse.Outcome = ReuseAfterRevocation
	}
	return refusal
}

// refreshState is RefreshState's verdict on a token's row.
func refreshState(rotated, blacklisted, revoked bool) error {
	switch {
	case rotated:
		return ErrRefreshReused
	case blacklisted, revoked:
		return ErrRefreshRevoked
	}
	return nil
}
