package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
)

// Errors of the token service, for the HTTP layer to branch on.
var (
	// ErrBadCredentials: unknown user, wrong password or inactive user,
	// deliberately not told apart.
	ErrBadCredentials = errors.New("no active account found with the given credentials")
	// ErrUserNotFound: a valid access token names a user that is gone.
	ErrUserNotFound = errors.New("user not found")
	// ErrUserInactive: a valid token names a deactivated user.
	ErrUserInactive = errors.New("user is inactive")
	// ErrTokenBlacklisted: a refresh token that was blacklisted, rotated
	// away, or revoked with its family.
	ErrTokenBlacklisted = errors.New("token is blacklisted")
)

// Pair is what the token endpoints return; Refresh is empty when a refresh
// does not rotate.
type Pair struct {
	Access  string
	Refresh string
}

// ServiceConfig is what the token service is made of.
type ServiceConfig struct {
	// Tokens signs and verifies.
	Tokens *Tokens
	// Store keeps users and refresh-token state.
	Store Store
	// Hasher hashes and verifies passwords.
	Hasher *Hasher
	// Rotate makes Refresh return a new refresh token and retire the old
	// one (simplejwt's ROTATE_REFRESH_TOKENS with BLACKLIST_AFTER_ROTATION).
	Rotate bool
	// UserCacheTTL is how long a process trusts what it read about a user
	// (exists, active, the User [Service.Authenticate] returns) when
	// authenticating a request; 0 reads the store every time. A
	// deactivation takes effect within it.
	UserCacheTTL time.Duration
	// ReuseGrace is how long after a rotation the rotated refresh token
	// may be presented again without revoking its family: it is refused
	// as simplejwt refuses it, and the newer tokens keep working (a retry
	// after a lost response, a second tab). Past it, a reuse revokes the
	// family. 0: every reuse revokes. [DefaultReuseGrace] is drover's
	// default.
	ReuseGrace time.Duration
	// UpdateLastLogin records the time of every login as the user's
	// LastLogin (simplejwt's UPDATE_LAST_LOGIN).
	UpdateLastLogin bool
	// ClientAddr returns the client address of the request ctx belongs
	// to, for the security log of a reused refresh token; nil logs none.
	ClientAddr func(ctx context.Context) netip.Addr
	// Claims adds the program's claims to the tokens issued for a user
	// (simplejwt's get_token override); nil adds none. It is called at
	// Login, once the password is checked, for the refresh and the
	// access token (simplejwt copies the refresh token's claims to its
	// access token), and at Refresh, with the user read again from the
	// store, for the new access token and, when rotating, the new
	// refresh token. Where simplejwt copies the claims of the login
	// into every token refreshed from it, drover asks again at each
	// refresh, so a change to the user shows in the claims within one
	// access-token lifetime. The claims must fit in MaxTokenSize.
	Claims ClaimsFunc
	// Observer, when set, is told of logins, refresh rotations and
	// reuse detections, for metrics; nil for none.
	Observer ServiceObserver
}

// ServiceObserver is told of the token service's outcomes, for metrics.
// Its methods are called on the request's goroutine: they must be cheap
// and safe for concurrent use.
type ServiceObserver interface {
	// ObserveLogin is told of every Login: ok when it issued tokens,
	// false when it did not (refused credentials, or an error).
	ObserveLogin(ok bool)
	// ObserveRefreshRotation is told of every refresh token rotated.
	ObserveRefreshRotation()
	// ObserveRefreshReuse is told of every rotated refresh token
	// presented again past the reuse grace (the security event that
	// revokes, or found revoked, its family).
	ObserveRefreshReuse()
}

// DefaultReuseGrace is drover's default [ServiceConfig.ReuseGrace].
const DefaultReuseGrace = 10 * time.Second

// Service is simplejwt's behaviour on drover's store: login, refresh with
// rotation and reuse detection, verify, blacklist, and access-token
// authentication. It is safe for concurrent use.
type Service struct {
	cfg   ServiceConfig
	log   *zap.Logger
	now   func() time.Time
	users *userCache
	reads singleflight.Group // of readUser, by user ID
	dummy *dummyCheck
}

// NewService builds the token service.
func NewService(cfg ServiceConfig, log *zap.Logger) (*Service, error) {
	if cfg.Tokens == nil || cfg.Store == nil || cfg.Hasher == nil {
		return nil, errors.New("auth: service needs tokens, a store and a hasher")
	}
	s := &Service{cfg: cfg, log: log, now: time.Now}
	now := func() time.Time { return s.now() }
	s.users = newUserCache(cfg.UserCacheTTL, now)
	s.dummy = newDummyCheck(cfg.Store, cfg.Hasher, log, now)
	return s, nil
}

// Login checks credentials and issues a pair; the refresh token starts a
// new token family. A password stored with another algorithm or cost (a
// Django pbkdf2_sha256 hash) is re-hashed with drover's on success. An
// unknown user costs a check of the slowest scheme among the stored
// hashes (see dummy.go), so that no answer is quicker than a wrong
// password's. Both tokens carry the claims hook's claims
// ([ServiceConfig.Claims]); if the hook fails, nothing is issued or
// recorded.
func (s *Service) Login(ctx context.Context, username, password string) (Pair, error) {
	p, err := s.login(ctx, username, password)
	if o := s.cfg.Observer; o != nil {
		o.ObserveLogin(err == nil)
	}
	return p, err
}

// login is Login, untold to the observer.
func (s *Service) login(ctx context.Context, username, password string) (Pair, error) {
	u, err := s.cfg.Store.UserByName(ctx, username)
	if errors.Is(err, ErrNotFound) {
		s.dummy.verify(ctx, password)
		return Pair{}, ErrBadCredentials
	}
	if err != nil {
		return Pair{}, fmt.Errorf("login: %w", err)
	}
	ok, rehash, err := s.cfg.Hasher.Verify(ctx, u.PasswordHash, password)
	switch {
	case errors.Is(err, ErrBadHash):
		s.log.Warn("stored password hash is unreadable; login refused", zap.Int64("user_id", u.ID), zap.Error(err))
		return Pair{}, ErrBadCredentials
	case err != nil:
		return Pair{}, fmt.Errorf("login: %w", err)
	case !ok || !u.Active:
		return Pair{}, ErrBadCredentials
	}
	u.PasswordHash = ""
	extra, err := s.extraClaims(ctx, u)
	if err != nil {
		return Pair{}, fmt.Errorf("login: %w", err)
	}
	// Both tokens before anything is recorded: a token that cannot be
	// issued leaves no row behind.
	refresh, rc, err := s.issue(Refresh, u.ID, extra)
	if err != nil {
		return Pair{}, fmt.Errorf("login: %w", err)
	}
	access, _, err := s.issue(Access, u.ID, extra)
	if err != nil {
		return Pair{}, fmt.Errorf("login: %w", err)
	}
	if rehash {
		s.upgradeHash(ctx, u.ID, password)
	}
	if err := s.cfg.Store.AddRefresh(ctx, RefreshToken{JTI: rc.JTI, UserID: u.ID, ExpiresAt: rc.ExpiresAt}); err != nil {
		return Pair{}, fmt.Errorf("login: record refresh token: %w", err)
	}
	if s.cfg.UpdateLastLogin {
		// Logged, not returned: the login itself was good.
		if err := s.cfg.Store.SetLastLogin(ctx, u.ID, s.now()); err != nil {
			s.log.Error("record last login", zap.Int64("user_id", u.ID), zap.Error(err))
		}
	}
	return Pair{Access: access, Refresh: refresh}, nil
}

// extraClaims asks the claims hook for u's claims and encodes them; nil
// without a hook.
func (s *Service) extraClaims(ctx context.Context, u User) ([]byte, error) {
	if s.cfg.Claims == nil {
		return nil, nil
	}
	claims, err := s.cfg.Claims(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("claims hook: %w", err)
	}
	extra, err := encodeClaims(claims)
	if err != nil {
		return nil, fmt.Errorf("claims hook: %w", err)
	}
	return extra, nil
}

// issue issues a token with the encoded extra claims; without any, it is
// [Tokens.Issue] exactly.
func (s *Service) issue(typ TokenType, userID int64, extra []byte) (string, Claims, error) {
	if extra == nil {
		return s.cfg.Tokens.Issue(typ, userID)
	}
	return s.cfg.Tokens.issueSized(typ, userID, extra)
}

// upgradeHash re-hashes a password stored with an older algorithm. A
// failure is logged, not returned: the login itself was good.
func (s *Service) upgradeHash(ctx context.Context, userID int64, password string) {
	hash, err := s.cfg.Hasher.Hash(ctx, password)
	if err == nil {
		err = s.cfg.Store.SetPassword(ctx, userID, hash)
	}
	if err != nil {
		s.log.Error("upgrade password hash", zap.Int64("user_id", userID), zap.Error(err))
		return
	}
	s.log.Info("password hash upgraded", zap.Int64("user_id", userID))
}

// Refresh exchanges a refresh token for a new access token and, when
// rotating, a new refresh token in the same family: consuming the old one
// is one conditional write, so of two simultaneous refreshes one fails. A
// rotated token presented again is refused; past the ReuseGrace after its
// rotation, it also revokes its whole family. The new tokens carry the
// claims hook's answer of now, not the login's ([ServiceConfig.Claims]).
func (s *Service) Refresh(ctx context.Context, refresh string) (Pair, error) {
	c, err := s.cfg.Tokens.Parse(refresh, Refresh)
	if err != nil {
		return Pair{}, err
	}
	u, err := s.activeUser(ctx, c.UserID)
	if err != nil {
		return Pair{}, err
	}
	if !s.cfg.Rotate {
		if err := s.cfg.Store.RefreshState(ctx, c.JTI); err != nil {
			return Pair{}, s.refreshStateError(ctx, c, "refresh", err)
		}
	}
	extra, err := s.extraClaims(ctx, u)
	if err != nil {
		return Pair{}, fmt.Errorf("refresh: %w", err)
	}
	access, _, err := s.issue(Access, c.UserID, extra)
	if err != nil {
		return Pair{}, fmt.Errorf("refresh: %w", err)
	}
	if !s.cfg.Rotate {
		return Pair{Access: access}, nil
	}
	// The new refresh token is issued before the old one is consumed: a
	// token that cannot be issued rotates nothing.
	next, nc, err := s.issue(Refresh, c.UserID, extra)
	if err != nil {
		return Pair{}, fmt.Errorf("refresh: %w", err)
	}
	err = s.cfg.Store.RotateRefresh(ctx, c.JTI, RefreshToken{JTI: nc.JTI, UserID: c.UserID, ExpiresAt: nc.ExpiresAt}, s.now(), s.cfg.ReuseGrace)
	if err != nil {
		return Pair{}, s.refreshStateError(ctx, c, "refresh", err)
	}
	if o := s.cfg.Observer; o != nil {
		o.ObserveRefreshRotation()
	}
	return Pair{Access: access, Refresh: next}, nil
}

// refreshStateError maps the store's view of a refresh token to what the
// client is told, and logs what a reuse did; op is "refresh" or
// "blacklist".
func (s *Service) refreshStateError(ctx context.Context, c Claims, op string, err error) error {
	var reuse *ReuseError
	switch {
	case errors.As(err, &reuse):
		s.logReuse(ctx, c, op, reuse)
		return ErrTokenBlacklisted
	case errors.Is(err, ErrRefreshReused), errors.Is(err, ErrRefreshRevoked):
		// Refused; the store only read (a refresh without rotation).
		return ErrTokenBlacklisted
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrRefreshExpired):
		// Not issued by this store (or pruned): not usable.
		return fmt.Errorf("%w: unknown refresh token", ErrTokenInvalid)
	}
	return fmt.Errorf("refresh token state: %w", err)
}

// Verify accepts any valid token, as simplejwt's verify does: signature,
// times and jti are checked, neither token_type nor user_id
// ([Tokens.ParseUntyped]). A blacklisted refresh token is refused.
func (s *Service) Verify(ctx context.Context, token string) error {
	c, err := s.cfg.Tokens.ParseUntyped(token)
	if err != nil || c.TokenType != Refresh {
		return err
	}
	if err := s.cfg.Store.RefreshState(ctx, c.JTI); errors.Is(err, ErrRefreshRevoked) || errors.Is(err, ErrRefreshReused) {
		return ErrTokenBlacklisted
	}
	return nil
}

// logReuse logs a rotated refresh token presented again: within the
// grace window at info, as a security event (warn) otherwise, with its
// family and the client's address.
func (s *Service) logReuse(ctx context.Context, c Claims, op string, reuse *ReuseError) {
	client := "unknown"
	if s.cfg.ClientAddr != nil {
		if a := s.cfg.ClientAddr(ctx); a.IsValid() {
			client = a.String()
		}
	}
	fields := []zap.Field{
		zap.String("op", op),
		zap.Int64("user_id", c.UserID),
		zap.String("family", reuse.Family),
		zap.String("remote_addr", client),
		zap.Duration("since_rotation_s", s.now().Sub(reuse.RotatedAt)),
		zap.String("jti_prefix", c.JTI[:min(8, len(c.JTI))]),
	}
	switch reuse.Outcome {
	case ReuseInGrace:
		s.log.Info("rotated refresh token presented again within the reuse grace window; refused, nothing revoked", fields...)
	case ReuseRevoked:
		s.log.Warn("security event: rotated refresh token presented again; its family is revoked", fields...)
		s.observeReuse()
	default:
		s.log.Warn("security event: rotated refresh token presented again; its family was revoked already", fields...)
		s.observeReuse()
	}
}

func (s *Service) observeReuse() {
	if o := s.cfg.Observer; o != nil {
		o.ObserveRefreshReuse()
	}
}

// Blacklist refuses a refresh token from now on, in every worker. It is
// one conditional write, like a rotation, so a refresh of the same token
// at the same moment either comes first (and the blacklisting then finds
// the token rotated and revokes the family, the new token included) or
// is refused. A rotated token presented here revokes its family at once,
// grace window or not: a logout with a token that someone else rotated
// must end that someone's session too. Blacklisting twice is refused, as
// simplejwt refuses a blacklisted token before blacklisting it.
func (s *Service) Blacklist(ctx context.Context, refresh string) error {
	c, err := s.cfg.Tokens.Parse(refresh, Refresh)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.RevokeRefresh(ctx, c.JTI, s.now()); err != nil {
		return s.refreshStateError(ctx, c, "blacklist", err)
	}
	return nil
}

// Authenticate verifies an access token and returns its user, who must
// exist and be active (simplejwt's JWTAuthentication), and the token's
// claims (DRF's request.auth), which also read the token's other claims
// ([Claims.Decode]). The User never carries its PasswordHash. What the
// store says about a user is cached for UserCacheTTL: a change to the
// user (a deactivation, a new username) shows within it. While the store
// is unavailable, what it said last keeps answering for up to a minute
// past the TTL (staleIfError), so that a database restart does not fail
// every authenticated request; a user not cached gets the store's error.
func (s *Service) Authenticate(ctx context.Context, access string) (User, Claims, error) {
	c, err := s.cfg.Tokens.Parse(access, Access)
	if err != nil {
		return User{}, Claims{}, err
	}
	e, cached := s.users.get(c.UserID)
	u, err := e.user, e.err
	if !cached {
		u, err = s.readUser(ctx, c.UserID)
	}
	if err != nil {
		return User{}, Claims{}, err
	}
	return u, c, nil
}

// readUser reads what the store says of user id for the cache, and
// caches it. The requests that miss on one user at once (all those in
// flight when its entry expires) share one read: one query per user and
// TTL per worker, however busy. The read is not canceled with the
// request that started it, since the others wait on it too; the store
// bounds it (a statement timeout, SQLite's busy timeout).
func (s *Service) readUser(ctx context.Context, id int64) (User, error) {
	v, err, _ := s.reads.Do(strconv.FormatInt(id, 10), func() (any, error) {
		u, err := s.activeUser(context.WithoutCancel(ctx), id)
		switch {
		case err == nil || errors.Is(err, ErrUserNotFound) || errors.Is(err, ErrUserInactive):
			s.users.put(id, u, err)
		case errors.Is(err, ErrStoreUnavailable):
			if e, ok := s.users.stale(id); ok {
				return e.user, e.err
			}
		}
		return u, err
	})
	u, _ := v.(User)
	return u, err
}

// activeUser reads the user id from the store and returns it without its
// password hash; ErrUserNotFound or ErrUserInactive if it is not an
// active user.
func (s *Service) activeUser(ctx context.Context, id int64) (User, error) {
	u, err := s.cfg.Store.UserByID(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return User{}, ErrUserNotFound
	case err != nil:
		return User{}, fmt.Errorf("look up user %d: %w", id, err)
	case !u.Active:
		return User{}, ErrUserInactive
	}
	u.PasswordHash = ""
	return u, nil
}

// PruneEvery deletes expired refresh-token rows at once and then every
// interval, until ctx ends. One process per store is enough.
func (s *Service) PruneEvery(ctx context.Context, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		n, err := s.cfg.Store.Prune(ctx, s.now())
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("prune expired refresh tokens", zap.Error(err))
		case n > 0:
			s.log.Info("pruned expired refresh tokens", zap.Int64("rows", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
