package sockets

import (
	"errors"
	"fmt"
	"strings"
)

// Role says what a passed socket is for.
type Role string

const (
	// RoleApp is a socket served with the application (--bind, or one of
	// systemd's).
	RoleApp Role = "app"
	// RoleRedirect is --http-redirect's socket, served as plain HTTP
	// beside HTTPS: ACME HTTP-01 answers and redirects to HTTPS.
	RoleRedirect Role = "redirect"
)

// Spec is what a child learns about one socket it inherits: the
// descriptor itself sits at its position.
type Spec struct {
	// Role is what the socket is for.
	Role Role
	// Name is how the parent names the socket in its logs:
	// "127.0.0.1:8000", "unix:/run/drover.sock", "systemd:[::]:8000".
	Name string
}

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("malformed listener list")

// Format encodes specs for the environment, in order; Parse reads it
// back.
func Format(specs []Spec) string {
	var b strings.Builder
	for i, s := range specs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(s.Role))
		b.WriteByte('=')
		escape(&b, s.Name)
	}
	return b.String()
}

// Parse reads what Format wrote, strictly: it comes from the environment.
// Every entry is ROLE=NAME with a known role and a non-empty, canonically
// escaped name; at least one socket is the application's and at most one
// is the redirect socket.
func Parse(v string) ([]Spec, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	entries := strings.Split(v, ",")
	specs := make([]Spec, 0, len(entries))
	apps, redirects := 0, 0
	for i, e := range entries {
		role, name, ok := strings.Cut(e, "=")
		if !ok {
			return nil, fmt.Errorf("%w: entry %d %q is not ROLE=NAME", ErrMalformed, i+1, e)
		}
		switch Role(role) {
		case RoleApp:
			apps++
		case RoleRedirect:
			redirects++
		default:
			return nil, fmt.Errorf("%w: entry %d: unknown role %q", ErrMalformed, i+1, role)
		}
		n, err := unescape(name)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrMalformed, i+1, err)
		}
		specs = append(specs, Spec{Role: Role(role), Name: n})
	}
	if apps == 0 {
		return nil, fmt.Errorf("%w: no %s socket", ErrMalformed, RoleApp)
	}
	if redirects > 1 {
		return nil, fmt.Errorf("%w: %d %s sockets, want at most one", ErrMalformed, redirects, RoleRedirect)
	}
	return specs, nil
}

const hexDigits = "0123456789ABCDEF"

// mustEscape reports whether c cannot appear as itself in a name: the
// list's separators, the escape character, spaces and control bytes, and
// every byte beyond ASCII.
func mustEscape(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == ',' || c == '=' || c == '%'
}

func escape(b *strings.Builder, s string) {
	for i := range len(s) {
		c := s[i]
		if mustEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
			continue
		}
		b.WriteByte(c)
	}
}

// unescape undoes escape, refusing anything escape would not have
// written: a raw byte that needs escaping, lowercase hex, or an escaped
// byte that does not need it. So one list has one spelling.
func unescape(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty name")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if mustEscape(c) {
				return "", fmt.Errorf("name %q: byte %#02x must be escaped", s, c)
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("name %q: truncated escape", s)
		}
		hi, lo := strings.IndexByte(hexDigits, s[i+1]), strings.IndexByte(hexDigits, s[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("name %q: bad escape %q", s, s[i:i+3])
		}
		d := byte(hi<<4 | lo)
		if !mustEscape(d) {
			return "", fmt.Errorf("name %q: %q needs no escape", s, s[i:i+3])
		}
		b.WriteByte(d)
		i += 2
	}
	return b.String(), nil
}
