package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiServer is a multi-worker drover serving its own API, with users.
type apiServer struct {
	*server
	stateDir string
}

// startAPI creates the users (name → password; a name starting with "-"
// is created then deactivated) and starts drover serve on the same store.
func startAPI(t *testing.T, workers int, users map[string]string, args ...string) *apiServer {
	t.Helper()
	dir := t.TempDir()
	for name, password := range users {
		inactive := strings.HasPrefix(name, "-")
		name = strings.TrimPrefix(name, "-")
		admin(t, dir, password+"\n", "createuser", name)
		if inactive {
			admin(t, dir, "", "deactivateuser", name)
		}
	}
	s := serve(t, droverBin, workers, []string{"DROVER_STATE_DIR=" + dir}, args...)
	return &apiServer{server: s, stateDir: dir}
}

// admin runs a drover admin command on stateDir and returns its output.
func admin(t *testing.T, stateDir, stdin string, args ...string) string {
	t.Helper()
	if args[0] == "createuser" || args[0] == "changepassword" {
		// The tests' passwords are fixtures, not advice: Django's
		// validators are firsthour_admin_test.go's subject.
		args = append(args, "--no-validate")
	}
	cmd := exec.Command(droverBin, args...)
	cmd.Env = append(cmd.Environ(), "DROVER_STATE_DIR="+stateDir, "DROVER_ARGON2_MEMORY=64K", "DROVER_ARGON2_ITERATIONS=1")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("drover %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// reply is a response as the conformance cases see it.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends method path with a body of content type ctype (JSON when a
// map) and optional Authorization header.
func (a *apiServer) call(t *testing.T, method, path, ctype string, body any, authz string) reply {
	t.Helper()
	return a.callAccept(t, method, path, ctype, body, authz, "")
}

// callAccept is call with an optional Accept header.
func (a *apiServer) callAccept(t *testing.T, method, path, ctype string, body any, authz, accept string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// tryCall posts a JSON body and returns the reply, or status 0 when the
// request failed (the server is being killed).
func (a *apiServer) tryCall(method, path string, body map[string]string) reply {
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(method, a.url+path, bytes.NewReader(data))
	if err != nil {
		return reply{}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return reply{}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if json.Unmarshal(raw, &r.body) != nil {
		return reply{}
	}
	return r
}

// login returns a fresh pair for name.
func (a *apiServer) login(t *testing.T, name, password string) (access, refresh string) {
	t.Helper()
	r := a.call(t, "POST", "/api/token/", "", map[string]string{"username": name, "password": password}, "")
	if r.status != 200 {
		t.Fatalf("login %s = %d %s", name, r.status, r.raw)
	}
	return r.body["access"].(string), r.body["refresh"].(string)
}

func multipartBody(fields map[string]string) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	_ = w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// tamper flips the payload's user_id to another user, keeping the signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return token
	}
	return parts[0] + "." + parts[1][:len(parts[1])-2] + "xx" + "." + parts[2]
}

func TestAPIConformance(t *testing.T) {
	const pw = "correct horse battery"
	a := startAPI(t, 2, map[string]string{"alice": pw, "-bob": pw, "carol": pw})
	access, refresh := a.login(t, "alice", pw)
	carolAccess, _ := a.login(t, "carol", pw)
	admin(t, a.stateDir, "", "deactivateuser", "carol")

	// A family for the reuse cases: rotate once, then present the old one
	// within the grace window (--refresh-reuse-grace, 10s): refused, and
	// the newer one still refreshes (refresh_test.go covers the rest).
	_, oldRefresh := a.login(t, "alice", pw)
	rotated := a.call(t, "POST", "/api/token/refresh/", "", map[string]string{"refresh": oldRefresh}, "")
	if rotated.status != 200 {
		t.Fatalf("rotation = %d %s", rotated.status, rotated.raw)
	}
	newerRefresh := rotated.body["refresh"].(string)
	_, toBlacklist := a.login(t, "alice", pw)

	formType, formBody := "application/x-www-form-urlencoded", "username=alice&password="+strings.ReplaceAll(pw, " ", "+")
	mpType, mpBody := multipartBody(map[string]string{"username": "alice", "password": pw})
	creds := func(u, p any) map[string]any { return map[string]any{"username": u, "password": p} }

	const (
		invalid   = `{"detail":"Token is invalid or expired","code":"token_not_valid"}`
		wrongType = `{"detail":"Token has wrong type","code":"token_not_valid"}`
		blacklist = `{"detail":"Token is blacklisted","code":"token_not_valid"}`
		noAccount = `{"detail":"No active account found with the given credentials"}`
	)
	accessErr := func(msg string) string {
		return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
	}
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		giveType   string
		giveBody   any
		giveAuthz  string
		giveAccept string
		wantStatus int
		wantBody   string   // exact JSON (compared as values), or
		wantKeys   []string // the body's keys, for bodies with tokens
		wantPrefix string   // or a prefix of the raw body
		wantHeader map[string]string
	}{
		// POST /api/token/
		{name: "obtain json", giveMethod: "POST", givePath: "/api/token/", giveBody: creds("alice", pw), wantStatus: 200, wantKeys: []string{"access", "refresh"}},
		{name: "obtain form", giveMethod: "POST", givePath: "/api/token/", giveType: formType, giveBody: formBody, wantStatus: 200, wantKeys: []string{"access", "refresh"}},
		{name: "obtain multipart", giveMethod: "POST", givePath: "/api/token/", giveType: mpType, giveBody: mpBody, wantStatus: 200, wantKeys: []string{"access", "refresh"}},
		{name: "obtain wrong password", giveMethod: "POST", givePath: "/api/token/", giveBody: creds("alice", "nope-nope"), wantStatus: 401, wantBody: noAccount, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="api"`}},
		{name: "obtain unknown user", giveMethod: "POST", givePath: "/api/token/", giveBody: creds("mallory", pw), wantStatus: 401, wantBody: noAccount},
		{name: "obtain inactive user", giveMethod: "POST", givePath: "/api/token/", giveBody: creds("bob", pw), wantStatus: 401, wantBody: noAccount},
		{name: "obtain nothing", giveMethod: "POST", givePath: "/api/token/", giveType: "application/json", giveBody: "", wantStatus: 400, wantBody: `{"username":["This field is required."],"password":["This field is required."]}`},
		{name: "obtain no password", giveMethod: "POST", givePath: "/api/token/", giveBody: map[string]string{"username": "alice"}, wantStatus: 400, wantBody: `{"password":["This field is required."]}`},
		{name: "obtain blank username", giveMethod: "POST", givePath: "/api/token/", giveBody: creds("", pw), wantStatus: 400, wantBody: `{"username":["This field may not be blank."]}`},
		{name: "obtain null password", giveMethod: "POST", givePath: "/api/token/", giveBody: creds("alice", nil), wantStatus: 400, wantBody: `{"password":["This field may not be null."]}`},
		{name: "obtain list username", giveMethod: "POST", givePath: "/api/token/", giveBody: creds([]string{"a"}, pw), wantStatus: 400, wantBody: `{"username":["Not a valid string."]}`},
		{name: "obtain malformed json", giveMethod: "POST", givePath: "/api/token/", giveType: "application/json", giveBody: `{"username":`, wantStatus: 400, wantPrefix: `{"detail":"JSON parse error - `},
		{name: "obtain json list", giveMethod: "POST", givePath: "/api/token/", giveType: "application/json", giveBody: `["alice"]`, wantStatus: 400, wantBody: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{name: "obtain text/plain", giveMethod: "POST", givePath: "/api/token/", giveType: "text/plain", giveBody: "alice", wantStatus: 415, wantBody: `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{name: "obtain null character", giveMethod: "POST", givePath: "/api/token/", giveBody: creds("ali\x00ce", pw), wantStatus: 400, wantBody: `{"username":["Null characters are not allowed."]}`},
		{name: "obtain json null", giveMethod: "POST", givePath: "/api/token/", giveType: "application/json", giveBody: `null`, wantStatus: 400, wantBody: `{"non_field_errors":["No data provided"]}`},
		{name: "obtain Accept xml", giveMethod: "POST", givePath: "/api/token/", giveAccept: "application/xml", giveBody: creds("alice", pw), wantStatus: 406, wantBody: `{"detail":"Could not satisfy the request Accept header."}`},
		{name: "obtain without slash", giveMethod: "POST", givePath: "/api/token", giveBody: creds("alice", pw), wantStatus: 301, wantHeader: map[string]string{"Location": "/api/token/"}},
		{name: "obtain OPTIONS", giveMethod: "OPTIONS", givePath: "/api/token/", wantStatus: 200, wantHeader: map[string]string{"Allow": "POST, OPTIONS"},
			wantBody: `{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}`},
		{name: "obtain GET", giveMethod: "GET", givePath: "/api/token/", wantStatus: 405, wantBody: `{"detail":"Method \"GET\" not allowed."}`, wantHeader: map[string]string{"Allow": "POST, OPTIONS"}},
		{name: "obtain body too large", giveMethod: "POST", givePath: "/api/token/", giveType: "application/json", giveBody: `{"username":"` + strings.Repeat("a", 2<<20) + `"}`, wantStatus: 413, wantPrefix: `{"detail":"Request body is larger than`},
		// POST /api/token/refresh/
		{name: "refresh rotates", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{"refresh": refresh}, wantStatus: 200, wantKeys: []string{"access", "refresh"}},
		{name: "refresh rotated token again", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{"refresh": oldRefresh}, wantStatus: 401, wantBody: blacklist},
		{name: "refresh descendant of a token retried within the grace window", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{"refresh": newerRefresh}, wantStatus: 200, wantKeys: []string{"access", "refresh"}},
		{name: "refresh with access token", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{"refresh": access}, wantStatus: 401, wantBody: wrongType},
		{name: "refresh garbage", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{"refresh": "not.a.token"}, wantStatus: 401, wantBody: invalid},
		{name: "refresh tampered", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{"refresh": tamper(refresh)}, wantStatus: 401, wantBody: invalid},
		{name: "refresh missing", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{}, wantStatus: 400, wantBody: `{"refresh":["This field is required."]}`},
		{name: "refresh GET", giveMethod: "GET", givePath: "/api/token/refresh/", wantStatus: 405, wantBody: `{"detail":"Method \"GET\" not allowed."}`},
		// POST /api/token/verify/
		{name: "verify access", giveMethod: "POST", givePath: "/api/token/verify/", giveBody: map[string]string{"token": access}, wantStatus: 200, wantBody: `{}`},
		{name: "verify refresh", giveMethod: "POST", givePath: "/api/token/verify/", giveBody: map[string]string{"token": toBlacklist}, wantStatus: 200, wantBody: `{}`},
		{name: "verify garbage", giveMethod: "POST", givePath: "/api/token/verify/", giveBody: map[string]string{"token": "x"}, wantStatus: 401, wantBody: invalid},
		{name: "verify tampered", giveMethod: "POST", givePath: "/api/token/verify/", giveBody: map[string]string{"token": tamper(access)}, wantStatus: 401, wantBody: invalid},
		{name: "verify missing", giveMethod: "POST", givePath: "/api/token/verify/", giveBody: map[string]string{}, wantStatus: 400, wantBody: `{"token":["This field is required."]}`},
		{name: "verify form", giveMethod: "POST", givePath: "/api/token/verify/", giveType: formType, giveBody: "token=" + access, wantStatus: 200, wantBody: `{}`},
		// POST /api/token/blacklist/
		{name: "blacklist", giveMethod: "POST", givePath: "/api/token/blacklist/", giveBody: map[string]string{"refresh": toBlacklist}, wantStatus: 200, wantBody: `{}`},
		{name: "blacklist again", giveMethod: "POST", givePath: "/api/token/blacklist/", giveBody: map[string]string{"refresh": toBlacklist}, wantStatus: 401, wantBody: blacklist},
		{name: "refresh blacklisted", giveMethod: "POST", givePath: "/api/token/refresh/", giveBody: map[string]string{"refresh": toBlacklist}, wantStatus: 401, wantBody: blacklist},
		{name: "verify blacklisted", giveMethod: "POST", givePath: "/api/token/verify/", giveBody: map[string]string{"token": toBlacklist}, wantStatus: 400, wantBody: `{"non_field_errors":["Token is blacklisted"]}`},
		{name: "blacklist access token", giveMethod: "POST", givePath: "/api/token/blacklist/", giveBody: map[string]string{"refresh": access}, wantStatus: 401, wantBody: wrongType},
		{name: "blacklist missing", giveMethod: "POST", givePath: "/api/token/blacklist/", giveBody: map[string]string{}, wantStatus: 400, wantBody: `{"refresh":["This field is required."]}`},
		// GET /hello/
		{name: "hello with access", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Bearer " + access, wantStatus: 200, wantBody: `{"message":"Hello, World!"}`},
		{name: "hello without header", giveMethod: "GET", givePath: "/hello/", wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="api"`}},
		{name: "hello Bearer alone", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Bearer", wantStatus: 401, wantBody: `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`},
		{name: "hello Bearer two tokens", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Bearer " + access + " " + access, wantStatus: 401, wantBody: `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`},
		{name: "hello Basic", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Basic YWxpY2U6cHc=", wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`},
		{name: "hello lowercase bearer", giveMethod: "GET", givePath: "/hello/", giveAuthz: "bearer " + access, wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`},
		{name: "hello with refresh", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Bearer " + refresh, wantStatus: 401, wantBody: accessErr("Token has wrong type")},
		{name: "hello garbage", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Bearer abc.def.ghi", wantStatus: 401, wantBody: accessErr("Token is invalid or expired")},
		{name: "hello tampered", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Bearer " + tamper(access), wantStatus: 401, wantBody: accessErr("Token is invalid or expired")},
		{name: "hello inactive user", giveMethod: "GET", givePath: "/hello/", giveAuthz: "Bearer " + carolAccess, wantStatus: 401, wantBody: `{"detail":"User is inactive","code":"user_inactive"}`},
		{name: "hello POST", giveMethod: "POST", givePath: "/hello/", giveAuthz: "Bearer " + access, wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`},
		{name: "hello POST unauthenticated", giveMethod: "POST", givePath: "/hello/", wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="api"`, "Allow": "GET, HEAD, OPTIONS"}},
		{name: "hello OPTIONS unauthenticated", giveMethod: "OPTIONS", givePath: "/hello/", wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`},
		{name: "hello OPTIONS", giveMethod: "OPTIONS", givePath: "/hello/", giveAuthz: "Bearer " + access, wantStatus: 200,
			wantBody: `{"name":"Hello","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`},
		{name: "hello without slash", giveMethod: "GET", givePath: "/hello", wantStatus: 301, wantHeader: map[string]string{"Location": "/hello/"}},
		{name: "unknown path", giveMethod: "GET", givePath: "/nope/", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.callAccept(t, tt.giveMethod, tt.givePath, tt.giveType, tt.giveBody, tt.giveAuthz, tt.giveAccept)
			if r.status != tt.wantStatus {
				t.Errorf("%s %s = %d %s, want %d", tt.giveMethod, tt.givePath, r.status, r.raw, tt.wantStatus)
			}
			switch {
			case tt.wantBody != "":
				var want map[string]any
				if err := json.Unmarshal([]byte(tt.wantBody), &want); err != nil {
					t.Fatal(err)
				}
				if !jsonEqual(r.body, want) {
					t.Errorf("body = %s, want %s", r.raw, tt.wantBody)
				}
			case tt.wantKeys != nil:
				if len(r.body) != len(tt.wantKeys) {
					t.Errorf("body = %s, want exactly the keys %v", r.raw, tt.wantKeys)
				}
				for _, k := range tt.wantKeys {
					if s, _ := r.body[k].(string); strings.Count(s, ".") != 2 {
						t.Errorf("body[%q] = %v, want a JWT", k, r.body[k])
					}
				}
			case tt.wantPrefix != "":
				if !strings.HasPrefix(r.raw, tt.wantPrefix) {
					t.Errorf("body = %.200s, want prefix %s", r.raw, tt.wantPrefix)
				}
			}
			for k, v := range tt.wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if r.status != 301 && !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q, want application/json", r.header.Get("Content-Type"))
			}
		})
	}
}

func jsonEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestSimultaneousRefreshOfOneTokenSucceedsOnce(t *testing.T) {
	const pw = "correct horse battery"
	a := startAPI(t, 2, map[string]string{"alice": pw})
	for trial := range 10 {
		_, refresh := a.login(t, "alice", pw)
		var wg sync.WaitGroup
		statuses := make(chan int, 2)
		start := make(chan struct{})
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses <- a.call(t, "POST", "/api/token/refresh/", "", map[string]string{"refresh": refresh}, "").status
			}()
		}
		close(start)
		wg.Wait()
		close(statuses)
		ok := 0
		for s := range statuses {
			if s == 200 {
				ok++
			}
		}
		if ok != 1 {
			t.Errorf("trial %d: %d of 2 simultaneous refreshes succeeded, want exactly 1", trial, ok)
		}
	}
}

func TestBlacklistIsSeenByEveryWorker(t *testing.T) {
	const pw = "correct horse battery"
	a := startAPI(t, 3, map[string]string{"alice": pw}, "--rotate-refresh-tokens=false")
	_, refresh := a.login(t, "alice", pw)
	if r := a.call(t, "POST", "/api/token/blacklist/", "", map[string]string{"refresh": refresh}, ""); r.status != 200 {
		t.Fatalf("blacklist = %d %s", r.status, r.raw)
	}
	// New connections land on every worker of the shared socket.
	for i := range 30 {
		if r := a.call(t, "POST", "/api/token/refresh/", "", map[string]string{"refresh": refresh}, ""); r.status != 401 {
			t.Fatalf("refresh %d after blacklist = %d %s, want 401", i, r.status, r.raw)
		}
	}
}

func TestWalkthroughWithoutRotation(t *testing.T) {
	const pw = "correct horse battery"
	a := startAPI(t, 2, map[string]string{"alice": pw}, "--rotate-refresh-tokens=false")
	_, refresh := a.login(t, "alice", pw)
	r := a.call(t, "POST", "/api/token/refresh/", "", map[string]string{"refresh": refresh}, "")
	if r.status != 200 || len(r.body) != 1 || r.body["access"] == nil {
		t.Errorf("refresh without rotation = %d %s, want only an access token", r.status, r.raw)
	}
	if h := a.call(t, "GET", "/hello/", "", nil, "Bearer "+r.body["access"].(string)); h.status != 200 {
		t.Errorf("hello with the refreshed access token = %d %s", h.status, h.raw)
	}
}

func TestServeRefusesToStartWithoutKey(t *testing.T) {
	tests := []struct {
		name     string
		giveEnv  []string
		wantLine string
	}{
		{name: "unset", wantLine: "drover: no signing key is set: give one as DROVER_SECRET_KEY (the key itself) or --secret-key-file (a file holding it), at least 32 random bytes, such as the output of: head -c 32 /dev/urandom | base64"},
		{name: "empty", giveEnv: []string{"DROVER_SECRET_KEY="}, wantLine: "drover: invalid DROVER_SECRET_KEY: the signing key is 0 bytes; at least 32 are needed"},
		{name: "short key", giveEnv: []string{"DROVER_SECRET_KEY=short"}, wantLine: "drover: invalid DROVER_SECRET_KEY: the signing key is 5 bytes; at least 32 are needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(droverBin, "serve", "--bind", "127.0.0.1:0")
			cmd.Env = append(cmd.Environ(), "DROVER_STATE_DIR="+t.TempDir())
			cmd.Env = append(cmd.Env, tt.giveEnv...)
			out, err := cmd.CombinedOutput()
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || len(lines) != 1 || lines[0] != tt.wantLine {
				t.Errorf("drover serve: %v, output %q; want exit 1 and %q", err, out, tt.wantLine)
			}
		})
	}
}
