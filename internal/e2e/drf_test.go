package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"
)

// The seed stack runs on Debian's packages, with Debian's python: the
// python3 on PATH may be another one (pyenv) without these modules.
const (
	seedPython = "/usr/bin/python3"
	// seedPackages is what `make deps` installs for TestMatchesDjangoRESTFramework.
	seedPackages = "python3-django python3-djangorestframework python3-djangorestframework-simplejwt python3-gunicorn"
)

// seedImports is what the seed stack needs importable; it prints the
// versions for the test log.
const seedImports = `
import django, rest_framework, gunicorn
from importlib.metadata import version
print("Django", django.get_version(), "| DRF", rest_framework.VERSION,
      "| simplejwt", version("djangorestframework-simplejwt"), "| gunicorn", gunicorn.__version__)
`

// seedSetup creates the schema and the users (name → password; a name
// starting with "-" is created inactive).
const seedSetup = `
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import User
call_command("migrate", verbosity=0, interactive=False)
for name, password in json.loads(sys.argv[1]).items():
    User.objects.create_user(name.lstrip("-"), password=password, is_active=not name.startswith("-"))
`

// seedDeactivate deactivates the user named by argv[1].
const seedDeactivate = `
import sys
import django
django.setup()
from django.contrib.auth.models import User
if User.objects.filter(username=sys.argv[1]).update(is_active=False) != 1:
    sys.exit("no user " + sys.argv[1])
`

// seedStack is the real Django REST Framework + simplejwt application of
// testdata/drf, served by gunicorn with two sync workers on loopback.
type seedStack struct {
	url string
	env []string // what every python process of the stack gets
	dir string   // the Django project
}

// startSeedStack migrates a fresh SQLite database in t's temp dir, creates
// users, starts gunicorn and waits until it answers. gunicorn and its
// workers are killed in t.Cleanup. ctx bounds every step.
func startSeedStack(ctx context.Context, t *testing.T, users map[string]string) *seedStack {
	t.Helper()
	out, err := exec.CommandContext(ctx, seedPython, "-c", seedImports).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("the seed stack (Django REST Framework + simplejwt + gunicorn under %s) is missing: run `make deps` (Debian packages: %s)\n%v: %s",
			seedPython, seedPackages, err, out)
		if testing.Short() {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	t.Logf("seed stack: %s", strings.TrimSpace(string(out)))

	dir, err := filepath.Abs(filepath.Join("testdata", "drf"))
	if err != nil {
		t.Fatal(err)
	}
	s := &seedStack{dir: dir}
	s.env = append(os.Environ(),
		"DJANGO_SETTINGS_MODULE=settings",
		"PYTHONPATH="+dir,
		"PYTHONDONTWRITEBYTECODE=1", // keep testdata free of __pycache__
		"DRF_DB="+filepath.Join(t.TempDir(), "db.sqlite3"),
		"DRF_SECRET_KEY="+testSecretKey,
		"DRF_FAST_HASHER=1",
	)
	usersJSON, err := json.Marshal(users)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.python(ctx, seedSetup, string(usersJSON)); err != nil {
		t.Fatalf("seed stack setup: %v", err)
	}

	cmd := exec.Command(seedPython, "-m", "gunicorn", "--workers", "2", "--bind", "127.0.0.1:0",
		"--chdir", dir, "--timeout", "30", "--graceful-timeout", "2", "wsgi:application")
	cmd.Env = s.env
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // workers die with the group
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gunicorn: %v", err)
	}
	var (
		logMu sync.Mutex
		log   bytes.Buffer
		done  = make(chan struct{})
	)
	listening := make(chan string, 1)
	go func() {
		defer close(done)
		listenRE := regexp.MustCompile(`Listening at: (http://127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case listening <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		// The group: the master and its workers, all started here.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		waited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-waited
		}
		<-done
		if t.Failed() {
			logMu.Lock()
			t.Logf("gunicorn's log:\n%s", log.String())
			logMu.Unlock()
		}
	})
	select {
	case s.url = <-listening:
	case <-done:
		t.Fatal("gunicorn exited before listening")
	case <-ctx.Done():
		t.Fatal("gunicorn did not listen in time")
	}
	// Workers import Django lazily: wait until one answers.
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/hello/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return s
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the seed stack did not answer in time: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// python runs a script with the stack's settings.
func (s *seedStack) python(ctx context.Context, script string, args ...string) error {
	cmd := exec.CommandContext(ctx, seedPython, append([]string{"-c", script}, args...)...)
	cmd.Env = s.env
	cmd.Dir = s.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// side is one server under comparison as the cases see it. A case's setup
// that fails records its first error in err instead of stopping the test,
// so that one run shows every difference.
type side struct {
	url        string
	ctx        context.Context
	client     *http.Client
	deactivate func(ctx context.Context, user string) error
	err        error
}

// wireRequest is what a case sends.
type wireRequest struct {
	method string
	path   string
	ctype  string // Content-Type; JSON by default for a body that is not a string
	body   any    // nil: none; string: as is; anything else: JSON-encoded
	authz  string // Authorization
	accept string // Accept
}

// wireAnswer is a response reduced to what is compared.
type wireAnswer struct {
	status      int
	body        string // canonical JSON after normalising, or the raw text
	keys        string // the JSON body's object keys in order (keyOrder)
	wwwAuth     string
	allow       string
	contentType string // media type only
	location    string
	security    []string // the values of djangoSecurityHeaders, in order
	failure     string   // the case could not run
}

// djangoSecurityHeaders are the headers Django's SecurityMiddleware and
// XFrameOptionsMiddleware may send (those Django 3.2 sends by default,
// and those it sends only when configured or from 4.0 on), compared so
// that drover must send exactly the ones the seed stack sends.
var djangoSecurityHeaders = []string{
	"X-Frame-Options",
	"X-Content-Type-Options",
	"Referrer-Policy",
	"Cross-Origin-Opener-Policy",
	"Strict-Transport-Security",
}

func (s *side) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// send sends r and returns the raw response.
func (s *side) send(r wireRequest) (int, http.Header, []byte, error) {
	var rd io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(data)
		if r.ctype == "" {
			r.ctype = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(s.ctx, r.method, s.url+r.path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range map[string]string{"Content-Type": r.ctype, "Authorization": r.authz, "Accept": r.accept} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// post sends a JSON body and returns the decoded JSON answer, recording a
// failure unless the status is wantStatus.
func (s *side) post(path string, body any, wantStatus int) map[string]any {
	status, _, raw, err := s.send(wireRequest{method: http.MethodPost, path: path, body: body})
	if err == nil && status != wantStatus {
		err = fmt.Errorf("POST %s = %d %.200s, want %d", path, status, raw, wantStatus)
	}
	var out map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &out)
	}
	if err != nil {
		s.fail(fmt.Errorf("setup: %w", err))
	}
	return out
}

// login returns a fresh pair for user, whose password is drfPassword.
func (s *side) login(user string) (access, refresh string) {
	r := s.post("/api/token/", map[string]string{"username": user, "password": drfPassword}, http.StatusOK)
	access, _ = r["access"].(string)
	refresh, _ = r["refresh"].(string)
	return access, refresh
}

// rotate refreshes refresh and returns the new refresh token.
func (s *side) rotate(refresh string) string {
	r := s.post("/api/token/refresh/", map[string]string{"refresh": refresh}, http.StatusOK)
	next, _ := r["refresh"].(string)
	return next
}

// blacklist blacklists refresh.
func (s *side) blacklist(refresh string) {
	s.post("/api/token/blacklist/", map[string]string{"refresh": refresh}, http.StatusOK)
}

// deactivateUser deactivates user in the side's own store.
func (s *side) deactivateUser(user string) {
	if err := s.deactivate(s.ctx, user); err != nil {
		s.fail(fmt.Errorf("setup: deactivate %s: %w", user, err))
	}
}

// run gives and sends one case and reduces the answer.
func (s *side) run(give func(*side) wireRequest) wireAnswer {
	s.err = nil
	r := give(s)
	if s.err != nil {
		return wireAnswer{failure: s.err.Error()}
	}
	status, h, raw, err := s.send(r)
	if err != nil {
		return wireAnswer{failure: err.Error()}
	}
	a := wireAnswer{
		status:   status,
		body:     normaliseBody(raw),
		keys:     keyOrder(raw),
		wwwAuth:  strings.Join(h.Values("WWW-Authenticate"), " | "),
		allow:    strings.Join(h.Values("Allow"), " | "),
		location: strings.Join(h.Values("Location"), " | "),
	}
	for _, name := range djangoSecurityHeaders {
		a.security = append(a.security, strings.Join(h.Values(name), " | "))
	}
	if ct := h.Get("Content-Type"); ct != "" {
		if a.contentType, _, err = mime.ParseMediaType(ct); err != nil {
			a.contentType = ct
		}
	}
	return a
}

// jwtRE matches a compact JWS as both servers write them.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// jsonParseError is DRF's prefix of a JSON syntax error's detail. What
// follows is the parser's own text, Python's ("Expecting value: line 1
// column 13 (char 12)") against Go's ("unexpected EOF"): drover keeps Go's
// wording, a deliberate difference, so only the prefix is compared.
const jsonParseError = "JSON parse error - "

// normaliseBody returns a JSON body as canonical JSON (object keys sorted:
// key order is not compared) with every token replaced by "<jwt>" and a
// JSON parse error's detail cut after its prefix; any other body is
// returned as is.
func normaliseBody(raw []byte) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	var norm func(any) any
	norm = func(v any) any {
		switch v := v.(type) {
		case string:
			if strings.HasPrefix(v, jsonParseError) {
				return jsonParseError + "…"
			}
			return jwtRE.ReplaceAllString(v, "<jwt>")
		case []any:
			for i := range v {
				v[i] = norm(v[i])
			}
		case map[string]any:
			for k := range v {
				v[k] = norm(v[k])
			}
		}
		return v
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(norm(v)) != nil {
		return string(raw)
	}
	return strings.TrimSuffix(out.String(), "\n")
}

// keyOrder returns the object keys of a JSON body in the order they are
// written, each object in braces and each array in brackets
// (`{detail code messages[{token_class token_type message}]}`), which
// normaliseBody sorts away; "" for a body that is not JSON.
func keyOrder(raw []byte) string {
	type container struct{ object, wantKey bool }
	var (
		dec   = json.NewDecoder(bytes.NewReader(raw))
		b     strings.Builder
		open  []container
		space bool // a key was written since the last opening delimiter
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return b.String()
		}
		if err != nil {
			return ""
		}
		top := len(open) - 1
		switch tok {
		case json.Delim('{'), json.Delim('['):
			b.WriteString(tok.(json.Delim).String())
			open = append(open, container{object: tok == json.Delim('{'), wantKey: tok == json.Delim('{')})
			space = false
			continue
		case json.Delim('}'), json.Delim(']'):
			b.WriteString(tok.(json.Delim).String())
			open = open[:top]
			top--
		default:
			if top >= 0 && open[top].wantKey {
				if space {
					b.WriteByte(' ')
				}
				b.WriteString(tok.(string))
				open[top].wantKey, space = false, true
				continue
			}
		}
		// A value ended: its object's next token is a key.
		if top >= 0 && open[top].object {
			open[top].wantKey = true
		}
	}
}

// diff lists what differs between a (drover) and b (DRF) as rows of
// what, drover's, DRF's.
func (a wireAnswer) diff(b wireAnswer) [][3]string {
	var rows [][3]string
	add := func(what, x, y string) {
		if x != y {
			rows = append(rows, [3]string{what, x, y})
		}
	}
	if a.failure != "" || b.failure != "" {
		// A case that could not run is a difference, even on both sides.
		return append(rows, [3]string{"failure", a.failure, b.failure})
	}
	add("status", fmt.Sprint(a.status), fmt.Sprint(b.status))
	add("body", a.body, b.body)
	add("key order", a.keys, b.keys)
	add("WWW-Authenticate", a.wwwAuth, b.wwwAuth)
	add("Allow", a.allow, b.allow)
	add("Content-Type", a.contentType, b.contentType)
	add("Location", a.location, b.location)
	for i, name := range djangoSecurityHeaders {
		add(name, a.security[i], b.security[i])
	}
	return rows
}

// drfPassword is every user's password on both sides.
const drfPassword = "correct horse battery"

// forge signs claims with the signing key both sides share (only forged
// tokens need it; every other token is minted by the side that takes it).
func forge(claims map[string]any) string {
	return forgeWith("HS256", claims, func(signed string) string {
		mac := hmac.New(sha256.New, []byte(testSecretKey))
		mac.Write([]byte(signed))
		return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	})
}

// forgeWith builds a token with alg in its header and sign's signature.
func forgeWith(alg string, claims map[string]any, sign func(signed string) string) string {
	header, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + sign(signed)
}

// claims are simplejwt's claims for a token of typ for userID, issued at
// iat and living ttl; drop names claims to leave out.
func claims(typ string, userID int, iat time.Time, ttl time.Duration, drop ...string) map[string]any {
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	c := map[string]any{"token_type": typ, "exp": iat.Add(ttl).Unix(), "iat": iat.Unix(), "jti": hex.EncodeToString(jti), "user_id": userID}
	for _, k := range drop {
		delete(c, k)
	}
	return c
}

// TestMatchesDjangoRESTFramework runs one list of cases against drover and
// against the real seed stack (Django REST Framework + simplejwt under
// gunicorn, testdata/drf) side by side, and reports every difference in
// status, body (key order included), the WWW-Authenticate, Allow,
// Content-Type and Location headers and Django's security headers in one
// table. Each case is a function of the side, so every token is minted by
// the server that then judges it.
func TestMatchesDjangoRESTFramework(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// carol, dave and erin are deactivated by the cases that need them.
	users := map[string]string{"alice": drfPassword, "-bob": drfPassword, "carol": drfPassword, "dave": drfPassword, "erin": drfPassword}
	seed := startSeedStack(ctx, t, users)
	api := startAPI(t, 2, users)

	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	sides := []*side{ // drover, then DRF: the order of the table's columns
		{url: api.url, deactivate: func(ctx context.Context, user string) error {
			cmd := exec.CommandContext(ctx, droverBin, "deactivateuser", user)
			cmd.Env = append(os.Environ(), "DROVER_STATE_DIR="+api.stateDir)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		}},
		{url: seed.url, deactivate: func(ctx context.Context, user string) error {
			return seed.python(ctx, seedDeactivate, user)
		}},
	}
	for _, s := range sides {
		s.ctx = ctx
		s.client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirect}
	}

	// Request builders.
	post := func(path string, body any) wireRequest {
		return wireRequest{method: http.MethodPost, path: path, body: body}
	}
	raw := func(method, path, ctype, body string) wireRequest {
		return wireRequest{method: method, path: path, ctype: ctype, body: body}
	}
	bearer := func(method, path, authz string) wireRequest {
		return wireRequest{method: method, path: path, authz: authz}
	}
	creds := func(u, p any) map[string]any { return map[string]any{"username": u, "password": p} }
	obtain := func(body any) func(*side) wireRequest {
		return func(*side) wireRequest { return post("/api/token/", body) }
	}
	// withAccess builds the request from a fresh access token of alice's,
	// minted by the server under test.
	withAccess := func(build func(access string) wireRequest) func(*side) wireRequest {
		return func(s *side) wireRequest {
			access, _ := s.login("alice")
			return build(access)
		}
	}
	fixed := func(r wireRequest) func(*side) wireRequest {
		return func(*side) wireRequest { return r }
	}
	field := func(name, value string) map[string]string { return map[string]string{name: value} }
	now := time.Now()
	mpType, mpBody := multipartBody(map[string]string{"username": "alice", "password": drfPassword})
	mpNoPassType, mpNoPassBody := multipartBody(map[string]string{"username": "alice"})
	formCreds := "username=alice&password=" + strings.ReplaceAll(drfPassword, " ", "+")
	const form = "application/x-www-form-urlencoded"

	tests := []struct {
		name string
		give func(s *side) wireRequest
	}{
		// POST /api/token/
		{name: "obtain json", give: obtain(creds("alice", drfPassword))},
		{name: "obtain json with charset", give: fixed(raw("POST", "/api/token/", "application/json; charset=utf-8", `{"username":"alice","password":"`+drfPassword+`"}`))},
		{name: "obtain form", give: fixed(raw("POST", "/api/token/", form, formCreds))},
		{name: "obtain form, field repeated", give: fixed(raw("POST", "/api/token/", form, "username=bob&"+formCreds))},
		{name: "obtain form without password", give: fixed(raw("POST", "/api/token/", form, "username=alice"))},
		{name: "obtain form blank password", give: fixed(raw("POST", "/api/token/", form, "username=alice&password="))},
		{name: "obtain multipart", give: fixed(raw("POST", "/api/token/", mpType, string(mpBody)))},
		{name: "obtain multipart without password", give: fixed(raw("POST", "/api/token/", mpNoPassType, string(mpNoPassBody)))},
		{name: "obtain wrong password", give: obtain(creds("alice", "nope-nope"))},
		{name: "obtain unknown user", give: obtain(creds("mallory", drfPassword))},
		{name: "obtain inactive user", give: obtain(creds("bob", drfPassword))},
		{name: "obtain username in other case", give: obtain(creds("Alice", drfPassword))},
		{name: "obtain password with spaces around", give: obtain(creds("alice", "  "+drfPassword+"\t"))},
		{name: "obtain number username", give: obtain(creds(123, drfPassword))},
		{name: "obtain empty body", give: fixed(raw("POST", "/api/token/", "application/json", ""))},
		{name: "obtain empty object", give: obtain(map[string]any{})},
		{name: "obtain no password", give: obtain(map[string]any{"username": "alice"})},
		{name: "obtain blank username", give: obtain(creds("", drfPassword))},
		{name: "obtain whitespace password", give: obtain(creds("alice", " \t "))},
		{name: "obtain null password", give: obtain(creds("alice", nil))},
		{name: "obtain list username", give: obtain(creds([]string{"alice"}, drfPassword))},
		{name: "obtain object username", give: obtain(creds(map[string]string{"a": "b"}, drfPassword))},
		{name: "obtain bool password", give: obtain(creds("alice", true))},
		{name: "obtain null character", give: obtain(creds("ali\x00ce", drfPassword))},
		{name: "obtain lone surrogate", give: fixed(raw("POST", "/api/token/", "application/json", `{"username":"alice","password":"\ud800"}`))},
		{name: "obtain surrogate pair", give: fixed(raw("POST", "/api/token/", "application/json", `{"username":"alice","password":"\ud83d\ude00"}`))},
		{name: "obtain null character and lone low surrogate", give: fixed(raw("POST", "/api/token/", "application/json", `{"username":"a\u0000\udc00\ud801","password":"x"}`))},
		{name: "obtain null character in a form", give: fixed(raw("POST", "/api/token/", form, "username=ali%00ce&password=x"))},
		{name: "obtain password of separator characters", give: obtain(creds("alice", "\x1c\x1f "))},
		{name: "obtain invalid utf-8", give: fixed(raw("POST", "/api/token/", "application/json", "{\"username\":\"al\xffice\",\"password\":\"x\"}"))},
		{name: "obtain json NaN", give: fixed(raw("POST", "/api/token/", "application/json", `{"username":NaN}`))},
		{name: "obtain malformed json", give: fixed(raw("POST", "/api/token/", "application/json", `{"username":`))},
		{name: "obtain json with trailing data", give: fixed(raw("POST", "/api/token/", "application/json", `{"username":"alice"} x`))},
		{name: "obtain json list", give: fixed(raw("POST", "/api/token/", "application/json", `["alice"]`))},
		{name: "obtain json string", give: fixed(raw("POST", "/api/token/", "application/json", `"alice"`))},
		{name: "obtain json null", give: fixed(raw("POST", "/api/token/", "application/json", `null`))},
		{name: "obtain text/plain", give: fixed(raw("POST", "/api/token/", "text/plain", "alice"))},
		{name: "obtain text/plain with charset", give: fixed(raw("POST", "/api/token/", "text/plain; charset=utf-8", "alice"))},
		{name: "obtain body without content type", give: fixed(raw("POST", "/api/token/", "", `{"username":"alice"}`))},
		{name: "obtain body over 1 MiB", give: obtain(creds(strings.Repeat("a", 2<<20), drfPassword))},
		{name: "obtain GET", give: fixed(bearer("GET", "/api/token/", ""))},
		{name: "obtain PUT", give: fixed(raw("PUT", "/api/token/", "application/json", `{}`))},
		{name: "obtain unknown method", give: fixed(bearer("PURGE", "/api/token/", ""))},
		{name: "obtain Accept xml", give: func(*side) wireRequest {
			r := post("/api/token/", creds("alice", drfPassword))
			r.accept = "application/xml"
			return r
		}},
		{name: "obtain Accept json", give: func(*side) wireRequest {
			r := post("/api/token/", creds("alice", drfPassword))
			r.accept = "application/json, text/plain, */*"
			return r
		}},
		{name: "obtain Accept json with q=0", give: func(*side) wireRequest {
			r := post("/api/token/", creds("alice", drfPassword))
			r.accept = "application/json;q=0"
			return r
		}},
		{name: "obtain Accept application/*", give: func(*side) wireRequest {
			r := post("/api/token/", creds("alice", drfPassword))
			r.accept = "text/html, application/*;q=0.1"
			return r
		}},
		{name: "obtain ?format=json", give: fixed(post("/api/token/?format=json", creds("alice", drfPassword)))},
		{name: "obtain ?format=api", give: fixed(post("/api/token/?format=api", creds("alice", drfPassword)))},
		{name: "obtain OPTIONS", give: fixed(bearer("OPTIONS", "/api/token/", ""))},
		{name: "obtain OPTIONS with a bad token", give: fixed(bearer("OPTIONS", "/api/token/", "Bearer x.y.z"))},
		{name: "obtain POST without slash", give: fixed(post("/api/token", creds("alice", drfPassword)))},

		// POST /api/token/refresh/
		{name: "refresh rotates", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			return post("/api/token/refresh/", field("refresh", refresh))
		}},
		{name: "refresh rotated token again", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			s.rotate(refresh)
			return post("/api/token/refresh/", field("refresh", refresh))
		}},
		{name: "refresh descendant of a reused token", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			next := s.rotate(refresh)
			_, _, _, _ = s.send(post("/api/token/refresh/", field("refresh", refresh)))
			return post("/api/token/refresh/", field("refresh", next))
		}},
		{name: "refresh blacklisted", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			s.blacklist(refresh)
			return post("/api/token/refresh/", field("refresh", refresh))
		}},
		{name: "refresh with access token", give: withAccess(func(access string) wireRequest { return post("/api/token/refresh/", field("refresh", access)) })},
		{name: "refresh tampered", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			return post("/api/token/refresh/", field("refresh", tamper(refresh)))
		}},
		{name: "refresh of an inactive user", give: func(s *side) wireRequest {
			_, refresh := s.login("dave")
			s.deactivateUser("dave")
			return post("/api/token/refresh/", field("refresh", refresh))
		}},
		{name: "refresh expired", give: fixed(post("/api/token/refresh/", field("refresh", forge(claims("refresh", 1, now.Add(-48*time.Hour), 24*time.Hour)))))},
		{name: "refresh token without exp", give: fixed(post("/api/token/refresh/", field("refresh", forge(claims("refresh", 1, now, 24*time.Hour, "exp")))))},
		{name: "refresh token without jti", give: fixed(post("/api/token/refresh/", field("refresh", forge(claims("refresh", 1, now, 24*time.Hour, "jti")))))},
		{name: "refresh token without token_type", give: fixed(post("/api/token/refresh/", field("refresh", forge(claims("refresh", 1, now, 24*time.Hour, "token_type")))))},
		{name: "refresh token without user_id", give: func(*side) wireRequest {
			// A jti of its own on each side: simplejwt blacklists it.
			return post("/api/token/refresh/", field("refresh", forge(claims("refresh", 1, now, 24*time.Hour, "user_id"))))
		}},
		{name: "refresh access token without user_id", give: fixed(post("/api/token/refresh/", field("refresh", forge(claims("access", 1, now, 5*time.Minute, "user_id")))))},
		{name: "refresh garbage", give: fixed(post("/api/token/refresh/", field("refresh", "not.a.token")))},
		{name: "refresh missing", give: obtainAt("/api/token/refresh/", map[string]any{})},
		{name: "refresh null", give: obtainAt("/api/token/refresh/", map[string]any{"refresh": nil})},
		{name: "refresh GET", give: fixed(bearer("GET", "/api/token/refresh/", ""))},
		{name: "refresh OPTIONS", give: fixed(bearer("OPTIONS", "/api/token/refresh/", ""))},

		// POST /api/token/verify/
		{name: "verify access", give: withAccess(func(access string) wireRequest { return post("/api/token/verify/", field("token", access)) })},
		{name: "verify refresh", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			return post("/api/token/verify/", field("token", refresh))
		}},
		{name: "verify form", give: withAccess(func(access string) wireRequest { return raw("POST", "/api/token/verify/", form, "token="+access) })},
		{name: "verify blacklisted refresh", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			s.blacklist(refresh)
			return post("/api/token/verify/", field("token", refresh))
		}},
		{name: "verify rotated refresh", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			s.rotate(refresh)
			return post("/api/token/verify/", field("token", refresh))
		}},
		{name: "verify tampered", give: withAccess(func(access string) wireRequest { return post("/api/token/verify/", field("token", tamper(access))) })},
		{name: "verify access of an inactive user", give: func(s *side) wireRequest {
			access, _ := s.login("erin")
			s.deactivateUser("erin")
			return post("/api/token/verify/", field("token", access))
		}},
		{name: "verify refresh never issued", give: fixed(post("/api/token/verify/", field("token", forge(claims("refresh", 999999, now, time.Hour)))))},
		{name: "verify expired", give: fixed(post("/api/token/verify/", field("token", forge(claims("access", 1, now.Add(-time.Hour), 5*time.Minute)))))},
		{name: "verify token without jti", give: fixed(post("/api/token/verify/", field("token", forge(claims("access", 1, now, 5*time.Minute, "jti")))))},
		{name: "verify token without exp", give: fixed(post("/api/token/verify/", field("token", forge(claims("access", 1, now, 5*time.Minute, "exp")))))},
		{name: "verify token without token_type", give: fixed(post("/api/token/verify/", field("token", forge(claims("access", 1, now, 5*time.Minute, "token_type")))))},
		{name: "verify token without user_id", give: fixed(post("/api/token/verify/", field("token", forge(claims("access", 1, now, 5*time.Minute, "user_id")))))},
		{name: "verify refresh token without token_type", give: fixed(post("/api/token/verify/", field("token", forge(claims("refresh", 1, now, 24*time.Hour, "token_type")))))},
		{name: "verify sliding token", give: fixed(post("/api/token/verify/", field("token", forge(claims("sliding", 1, now, 5*time.Minute)))))},
		{name: "verify token without jti and token_type", give: fixed(post("/api/token/verify/", field("token", forge(claims("access", 1, now, 5*time.Minute, "jti", "token_type")))))},
		{name: "verify garbage", give: fixed(post("/api/token/verify/", field("token", "x")))},
		{name: "verify missing", give: obtainAt("/api/token/verify/", map[string]any{})},
		{name: "verify OPTIONS", give: fixed(bearer("OPTIONS", "/api/token/verify/", ""))},

		// POST /api/token/blacklist/
		{name: "blacklist", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			return post("/api/token/blacklist/", field("refresh", refresh))
		}},
		{name: "blacklist twice", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			s.blacklist(refresh)
			return post("/api/token/blacklist/", field("refresh", refresh))
		}},
		{name: "blacklist rotated token", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			s.rotate(refresh)
			return post("/api/token/blacklist/", field("refresh", refresh))
		}},
		{name: "blacklist access token", give: withAccess(func(access string) wireRequest { return post("/api/token/blacklist/", field("refresh", access)) })},
		{name: "blacklist garbage", give: fixed(post("/api/token/blacklist/", field("refresh", "a.b.c")))},
		{name: "blacklist token without exp", give: fixed(post("/api/token/blacklist/", field("refresh", forge(claims("refresh", 1, now, 24*time.Hour, "exp")))))},
		{name: "blacklist token without jti", give: fixed(post("/api/token/blacklist/", field("refresh", forge(claims("refresh", 1, now, 24*time.Hour, "jti")))))},
		{name: "blacklist token without token_type", give: fixed(post("/api/token/blacklist/", field("refresh", forge(claims("refresh", 1, now, 24*time.Hour, "token_type")))))},
		{name: "blacklist missing", give: obtainAt("/api/token/blacklist/", map[string]any{})},
		{name: "blacklist GET", give: fixed(bearer("GET", "/api/token/blacklist/", ""))},
		{name: "blacklist OPTIONS", give: fixed(bearer("OPTIONS", "/api/token/blacklist/", ""))},

		// GET /hello/
		{name: "hello with access", give: withAccess(func(access string) wireRequest { return bearer("GET", "/hello/", "Bearer "+access) })},
		{name: "hello HEAD", give: withAccess(func(access string) wireRequest { return bearer("HEAD", "/hello/", "Bearer "+access) })},
		{name: "hello with extra spaces", give: withAccess(func(access string) wireRequest { return bearer("GET", "/hello/", "Bearer   "+access+" ") })},
		{name: "hello without header", give: fixed(bearer("GET", "/hello/", ""))},
		{name: "hello HEAD without header", give: fixed(bearer("HEAD", "/hello/", ""))},
		{name: "hello empty Authorization", give: fixed(wireRequest{method: "GET", path: "/hello/", authz: " "})},
		{name: "hello Bearer alone", give: fixed(bearer("GET", "/hello/", "Bearer"))},
		{name: "hello Bearer two tokens", give: withAccess(func(access string) wireRequest { return bearer("GET", "/hello/", "Bearer "+access+" "+access) })},
		{name: "hello lowercase bearer", give: withAccess(func(access string) wireRequest { return bearer("GET", "/hello/", "bearer "+access) })},
		{name: "hello Basic", give: fixed(bearer("GET", "/hello/", "Basic YWxpY2U6cHc="))},
		{name: "hello JWT scheme", give: withAccess(func(access string) wireRequest { return bearer("GET", "/hello/", "JWT "+access) })},
		{name: "hello with refresh", give: func(s *side) wireRequest {
			_, refresh := s.login("alice")
			return bearer("GET", "/hello/", "Bearer "+refresh)
		}},
		{name: "hello tampered", give: withAccess(func(access string) wireRequest { return bearer("GET", "/hello/", "Bearer "+tamper(access)) })},
		{name: "hello garbage", give: fixed(bearer("GET", "/hello/", "Bearer abc.def.ghi"))},
		{name: "hello expired", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 1, now.Add(-time.Hour), 5*time.Minute))))},
		{name: "hello alg none", give: fixed(bearer("GET", "/hello/", "Bearer "+forgeWith("none", claims("access", 1, now, 5*time.Minute), func(string) string { return "" })))},
		{name: "hello token without exp", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 1, now, 5*time.Minute, "exp"))))},
		{name: "hello token without jti", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 1, now, 5*time.Minute, "jti"))))},
		{name: "hello token without token_type", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 1, now, 5*time.Minute, "token_type"))))},
		{name: "hello token without user_id", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 1, now, 5*time.Minute, "user_id"))))},
		{name: "hello token without exp and jti", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 1, now, 5*time.Minute, "exp", "jti"))))},
		{name: "hello token without token_type and user_id", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 1, now, 5*time.Minute, "token_type", "user_id"))))},
		{name: "hello refresh token without user_id", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("refresh", 1, now, 24*time.Hour, "user_id"))))},
		{name: "hello sliding token", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("sliding", 1, now, 5*time.Minute))))},
		{name: "hello token of an unknown user", give: fixed(bearer("GET", "/hello/", "Bearer "+forge(claims("access", 999999, now, 5*time.Minute))))},
		{name: "hello inactive user", give: func(s *side) wireRequest {
			access, _ := s.login("carol")
			s.deactivateUser("carol")
			return bearer("GET", "/hello/", "Bearer "+access)
		}},
		{name: "hello POST with access", give: withAccess(func(access string) wireRequest { return bearer("POST", "/hello/", "Bearer "+access) })},
		{name: "hello POST without header", give: fixed(bearer("POST", "/hello/", ""))},
		{name: "hello DELETE with a bad token", give: fixed(bearer("DELETE", "/hello/", "Bearer abc.def.ghi"))},
		{name: "hello OPTIONS without header", give: fixed(bearer("OPTIONS", "/hello/", ""))},
		{name: "hello OPTIONS with access", give: withAccess(func(access string) wireRequest { return bearer("OPTIONS", "/hello/", "Bearer "+access) })},
		{name: "hello Accept xml without header", give: fixed(wireRequest{method: "GET", path: "/hello/", accept: "application/xml"})},
		{name: "hello Accept text/html with access", give: withAccess(func(access string) wireRequest {
			return wireRequest{method: "GET", path: "/hello/", authz: "Bearer " + access, accept: "text/html"}
		})},
		{name: "hello ?format=xml without header", give: fixed(bearer("GET", "/hello/?format=xml", ""))},
		{name: "hello ?format=json with access", give: withAccess(func(access string) wireRequest { return bearer("GET", "/hello/?format=json", "Bearer "+access) })},
		{name: "hello without slash", give: fixed(bearer("GET", "/hello", ""))},
		{name: "hello without slash, query kept", give: fixed(bearer("GET", "/hello?a=1&b=%2F", ""))},
		{name: "hello OPTIONS without slash", give: fixed(bearer("OPTIONS", "/hello", ""))},

		// Elsewhere.
		{name: "unknown path", give: fixed(bearer("GET", "/nope/", ""))},
		{name: "unknown path without slash", give: fixed(bearer("POST", "/api/nope", ""))},
	}

	// Differences drover keeps on purpose, by case, with why (besides the
	// wording after "JSON parse error - ", see jsonParseError, and the
	// browsable API, see testdata/drf/settings.py). A case listed here is
	// logged, not failed; one listed whose answers agree fails the test, so
	// the list cannot go stale.
	const (
		bodyLimit = "drover's request body limit (--limit-request-body, 1 MiB by default) answers 413 before any view runs, so without Allow or the API's security headers; DRF parses a JSON body of any size"
		inactive  = "auth.Service.Refresh refuses a deactivated user's refresh token (401 no_active_account, what simplejwt 5.3 answers); simplejwt 5.2.2 issues a new pair. A change would be auth's, not app's"
		noJTI     = "simplejwt 5.2.2 fails with a 500 (a KeyError: RefreshToken checks the blacklist by jti before it checks that there is one) and Django's HTML error page; drover answers 401 \"Token has no id\", as simplejwt does at verify. Only a holder of the signing key can make such a token"
		noUser    = "drover refreshes only refresh tokens it issued and recorded, and it never issues one without user_id: 401 \"Token contained no recognizable user identification\", as simplejwt answers for it on an authenticated view; simplejwt 5.2.2 refreshes any validly signed one into a new pair that names no user either. Only a holder of the signing key can make such a token"
		notFound  = "an unrouted path is 404 on both, but Django answers with its HTML page and drover with DRF's JSON {\"detail\":\"Not found.\"}, like every other error of the chain"
	)
	kept := map[string]string{
		"obtain body over 1 MiB":        bodyLimit,
		"refresh of an inactive user":   inactive,
		"refresh token without jti":     noJTI,
		"blacklist token without jti":   noJTI,
		"refresh token without user_id": noUser,
		"unknown path":                  notFound,
		"unknown path without slash":    notFound,
	}

	answers := make([][]wireAnswer, len(sides))
	var wg sync.WaitGroup
	for i, s := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, tt := range tests {
				answers[i] = append(answers[i], s.run(tt.give))
			}
		}()
	}
	wg.Wait()

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\twhat\tdrover / DRF")
	failed := 0
	for i, tt := range tests {
		rows := answers[0][i].diff(answers[1][i])
		why, isKept := kept[tt.name]
		switch {
		case isKept && len(rows) == 0:
			t.Errorf("case %q is listed as a kept difference (%s) but drover and DRF now agree: remove it from kept", tt.name, why)
		case isKept:
			var what []string
			for _, r := range rows {
				what = append(what, r[0])
			}
			t.Logf("kept difference in %s of %q: %s", strings.Join(what, ", "), tt.name, why)
		case len(rows) > 0:
			failed++
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\tdrover: %s\n\t\tDRF:    %s\n", tt.name, r[0], shown(r[1]), shown(r[2]))
			}
		}
	}
	_ = tw.Flush()
	if failed > 0 {
		t.Errorf("%d of %d cases differ between drover and Django REST Framework:\n%s", failed, len(tests), table.String())
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("the comparison ran out of time")
	}
}

// TestSecurityHeadersOff checks that --security-headers=false reaches the
// workers: the API's answers then carry none of Django's security headers
// (TestMatchesDjangoRESTFramework proves the default sends them).
func TestSecurityHeadersOff(t *testing.T) {
	api := startAPI(t, 2, nil, "--security-headers=false")
	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/hello/", "/api/token/", "/nope/"} {
		resp, err := client.Get(api.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, name := range djangoSecurityHeaders {
			if v := resp.Header.Values(name); len(v) > 0 {
				t.Errorf("GET %s with --security-headers=false: %d, %s: %q, want none", path, resp.StatusCode, name, v)
			}
		}
	}
}

// obtainAt posts a JSON body to path.
func obtainAt(path string, body any) func(*side) wireRequest {
	return func(*side) wireRequest { return wireRequest{method: http.MethodPost, path: path, body: body} }
}

// shown is a compared value as the difference table prints it: on one
// line, at most 400 bytes, "(none)" when empty.
func shown(v string) string {
	if v == "" {
		return "(none)"
	}
	v = strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(v)
	if len(v) > 400 {
		v = v[:400] + "…"
	}
	return v
}
