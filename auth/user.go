package auth

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// User is an account as drover keeps it: Django's auth.User reduced to what
// the token API needs.
type User struct {
	// ID is the primary key, simplejwt's user_id claim.
	ID int64
	// Username is unique and compared case-sensitively, as Django does.
	Username string
	// PasswordHash is a [Hasher.Hash] encoding, or a Django hash carried
	// over (pbkdf2_sha256$…, argon2$…) until the next login re-hashes it.
	PasswordHash string
	// Active users may log in; inactive ones keep their row (Django's
	// is_active).
	Active bool
	// Joined is when the account was created (Django's date_joined).
	Joined time.Time
	// LastLogin is the user's last successful login, zero if never or not
	// recorded (Django's last_login, written when the service's
	// UpdateLastLogin is on).
	LastLogin time.Time
}

// IsAuthenticated reports whether u is a user, not the anonymous user:
// the zero User (ID 0) stands for nobody, as Django's AnonymousUser does.
func (u User) IsAuthenticated() bool {
	return u.ID > 0
}

// maxUsernameLen is the length of Django's username field, in characters.
const maxUsernameLen = 150

// checkUsername refuses the usernames Django's User model cannot hold:
// empty, longer than 150 characters, or not UTF-8.
func checkUsername(name string) error {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return fmt.Errorf("username is empty")
	case n > maxUsernameLen:
		return fmt.Errorf("username has %d characters, more than %d", n, maxUsernameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("username %q is not UTF-8", name)
	}
	return nil
}

// checkImport refuses a user ImportUser cannot store: a username Django
// cannot hold, or an ID that is not positive.
func checkImport(u User) error {
	if err := checkUsername(u.Username); err != nil {
		return fmt.Errorf("import user: %w", err)
	}
	if u.ID <= 0 {
		return fmt.Errorf("import user %q: id %d is not positive", u.Username, u.ID)
	}
	return nil
}
