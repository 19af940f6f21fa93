package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drover/drover/app"
	"github.com/drover/drover/auth"
)

// WellKnownJWKS is where [Auth.Mount] also serves the JSON Web Key Set:
// the conventional jwks_uri of OpenID Connect discovery and RFC 8414,
// where other services look for it first.
const WellKnownJWKS = "/.well-known/jwks.json"

// JWKSMaxAge is how long a verifier may cache the key set
// (Cache-Control: public, max-age=300). It is kept well below any overlap
// of a key rotation: a new signing key starts signing at once, so a
// verifier that does not refetch the set on an unknown kid (PyJWKClient
// does) misses the new key for at most this long, and a key published
// ahead of its use (as a --jwt-verify-key-file, then the signing key) is
// known to every verifier after this long. An old key stays a verify key
// for at least the refresh token lifetime, far longer.
const JWKSMaxAge = 5 * time.Minute

// KeySet is what publishes the public keys tokens are verified with:
// *auth.Service and *auth.Tokens implement it. JWKS returns an error when
// there is nothing public to publish (HS256).
type KeySet interface {
	JWKS() ([]byte, error)
}

var (
	_ KeySet = (*auth.Service)(nil)
	_ KeySet = (*auth.Tokens)(nil)
)

// jwks serves one JSON Web Key Set, fixed for the life of the process: a
// new key set comes with new workers (a HUP).
type jwks struct {
	body         string
	etag         string // strong, quoted
	length       string // Content-Length
	cacheControl string
}

// newJWKS returns the handler of keys' set, nil when keys is nil or has
// no public keys.
func newJWKS(keys KeySet) *jwks {
	if keys == nil {
		return nil
	}
	body, err := keys.JWKS()
	if err != nil {
		return nil // HS256: nothing to publish
	}
	sum := sha256.Sum256(body)
	return &jwks{
		body:         string(body),
		etag:         `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
		length:       strconv.Itoa(len(body)),
		cacheControl: "public, max-age=" + strconv.Itoa(int(JWKSMaxAge/time.Second)),
	}
}

// ServeHTTP answers GET (and, through the Router, HEAD) with the key set,
// or 304 when If-None-Match names its ETag.
func (j *jwks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	app.SetRouteClass(r.Context(), app.RouteAPI)
	h := w.Header()
	h["Cache-Control"] = []string{j.cacheControl} // canonical keys: no Set needed
	h["Etag"] = []string{j.etag}
	if inm, ok := r.Header["If-None-Match"]; ok && etagMatches(inm, j.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{j.length}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(j.body)) // a failed write means the client is gone
	}
}

// etagMatches reports whether an If-None-Match header (its lines) names
// etag or is "*", comparing weakly as RFC 9110, section 13.1.2 has it for
// If-None-Match: W/"x" matches "x".
func etagMatches(lines []string, etag string) bool {
	for _, line := range lines {
		for tag := range strings.SplitSeq(line, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// mount registers the key set at path for GET (and so HEAD), unless
// skipTaken and the Router serves GET there already.
func (j *jwks) mount(rt *Router, path string, skipTaken bool) {
	if skipTaken && rt.handlesGet(path) {
		return
	}
	rt.Handle(http.MethodGet, path, j)
	rt.Describe(path, "JSON Web Key Set", "The public keys this server's tokens are verified with (RFC 7517), each\nwith its kid, for other services to verify them.")
}

// handlesGet reports whether the Router has a GET handler for the exact
// path.
func (rt *Router) handlesGet(path string) bool {
	rte := rt.routes[path]
	return rte != nil && rte.handler(http.MethodGet) != nil
}
