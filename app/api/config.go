package api

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/auth"
)

// Config is what [New] offers beyond simplejwt, for browser front ends.
// The zero Config is simplejwt's behaviour: no cookie, no CORS header.
type Config struct {
	// RefreshCookie, when set, is the name of the httpOnly cookie that
	// holds a browser front end's refresh token (HttpOnly; Secure;
	// SameSite=Strict; Path= the prefix of the token views, /api/token/
	// for [New], see [Auth.Mount]). It is given to the requests that
	// carry [CSRFHeader], whose JSON then holds the access token alone,
	// and read by refresh and blacklist when the body has no "refresh";
	// relying on it without CSRFHeader is refused with 403. Blacklist
	// clears it. See [CheckCookieName].
	RefreshCookie string
	// RefreshLifetime is the cookie's Max-Age: the refresh token lifetime.
	// Zero means auth.DefaultRefreshLifetime.
	RefreshLifetime time.Duration
	// CORSAllowedOrigins lists the origins (scheme://host[:port], see
	// [ParseOrigin]) whose pages may call the API from the browser, as
	// django-cors-headers' CORS_ALLOWED_ORIGINS; [AnyOrigin] allows every
	// origin, but not with RefreshCookie. With RefreshCookie the answers
	// allow credentials (CORS_ALLOW_CREDENTIALS), so a page may send and
	// receive the cookie. Empty: no CORS header on any answer.
	CORSAllowedOrigins []string
}

// New returns drover's API as [API] does, with what cfg adds for browser
// front ends: the refresh cookie and CORS. It is [NewAuth], the API's
// routes and [Auth.Wrap]. Its error names a setting of cfg it cannot use.
// log receives the failures that are the server's.
func New(cfg Config, svc TokenService, log *zap.Logger) (http.Handler, error) {
	a, err := NewAuth(cfg, svc, log)
	if err != nil {
		return nil, err
	}
	return a.Wrap(newAPI(a)), nil
}

// withDefaults returns c with every zero value replaced by its default.
// It is the only place the API's defaults are filled in.
func (c Config) withDefaults() Config {
	if c.RefreshLifetime == 0 {
		c.RefreshLifetime = auth.DefaultRefreshLifetime
	}
	return c
}
