package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/statedir"
)

// What simplejwt answers for a blacklisted (or rotated) refresh token, and
// drover with it.
const blacklistedBody = `{"detail":"Token is blacklisted","code":"token_not_valid"}`

// The auth service's log messages for a rotated refresh token presented
// again.
const (
	reuseInGraceMsg = "rotated refresh token presented again within the reuse grace window; refused, nothing revoked"
	reuseRevokedMsg = "security event: rotated refresh token presented again; its family is revoked"
)

// refreshPassword is the password of the users of these tests.
const refreshPassword = "correct horse battery"

// refresh posts a refresh token to /api/token/refresh/.
func (a *apiServer) refresh(t *testing.T, token string) reply {
	t.Helper()
	return a.call(t, "POST", "/api/token/refresh/", "", map[string]string{"refresh": token}, "")
}

// blacklist posts a refresh token to /api/token/blacklist/.
func (a *apiServer) blacklist(t *testing.T, token string) reply {
	t.Helper()
	return a.call(t, "POST", "/api/token/blacklist/", "", map[string]string{"refresh": token}, "")
}

// verify posts a token to /api/token/verify/: 200 while usable, without
// changing anything.
func (a *apiServer) verify(t *testing.T, token string) reply {
	t.Helper()
	return a.call(t, "POST", "/api/token/verify/", "", map[string]string{"token": token}, "")
}

// rotate refreshes token and returns the new refresh token.
func (a *apiServer) rotate(t *testing.T, token string) string {
	t.Helper()
	r := a.refresh(t, token)
	if r.status != http.StatusOK {
		t.Fatalf("refresh = %d %s, want 200", r.status, r.raw)
	}
	return r.body["refresh"].(string)
}

// wantBlacklisted fails unless r is simplejwt's 401 for a blacklisted
// token, status, body and challenge.
func wantBlacklisted(t *testing.T, what string, r reply) {
	t.Helper()
	var want map[string]any
	_ = json.Unmarshal([]byte(blacklistedBody), &want)
	if r.status != http.StatusUnauthorized || !jsonEqual(r.body, want) || r.header.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("%s = %d %s (WWW-Authenticate %q), want 401 %s", what, r.status, r.raw, r.header.Get("WWW-Authenticate"), blacklistedBody)
	}
}

// openStore opens the store of a running server from the test, as an
// admin command does.
func (a *apiServer) openStore(t *testing.T) *auth.SQLiteStore {
	t.Helper()
	store, err := auth.OpenSQLite(context.Background(), statedir.Dir(a.stateDir).Store())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// TestRefreshReuseWithinGraceWindow presents a rotated refresh token again
// at once, as a client retrying after a lost response does: it is refused
// as simplejwt refuses it, nothing is revoked, and the newer token still
// refreshes (the default window, 10 s).
func TestRefreshReuseWithinGraceWindow(t *testing.T) {
	a := startAPI(t, 2, map[string]string{"alice": refreshPassword})
	_, first := a.login(t, "alice", refreshPassword)
	second := a.rotate(t, first)
	mark := a.mark()
	wantBlacklisted(t, "refresh of the rotated token, retried", a.refresh(t, first))
	if r := a.verify(t, second); r.status != http.StatusOK {
		t.Errorf("verify of the newer token after the retry = %d %s, want 200", r.status, r.raw)
	}
	third := a.rotate(t, second)
	if r := a.refresh(t, third); r.status != http.StatusOK {
		t.Errorf("refresh of the newest token = %d %s, want 200", r.status, r.raw)
	}
	l := a.waitLog(5*time.Second, mark, 1, msgIs(reuseInGraceMsg))[0]
	if l.fields["remote_addr"] != "127.0.0.1" || l.fields["family"] == nil {
		t.Errorf("reuse log line %s: want the family and remote_addr 127.0.0.1", l.text)
	}
	for _, l := range a.logged(mark) {
		if l.msg() == reuseRevokedMsg {
			t.Errorf("a retry within the window logged %s", l.text)
		}
	}
}

// TestRefreshReuseAfterGraceWindowRevokesFamily presents a rotated token
// again, with a 1 s window, until the window is over: until then each
// presentation is refused and the newer token stays usable; the first one
// after it revokes the family, newer token included, and logs a security
// event with the family and the client's address.
func TestRefreshReuseAfterGraceWindowRevokesFamily(t *testing.T) {
	const grace = time.Second
	a := startAPI(t, 2, map[string]string{"alice": refreshPassword}, "--refresh-reuse-grace", grace.String())
	_, first := a.login(t, "alice", refreshPassword)
	rotatedAt := time.Now()
	second := a.rotate(t, first)
	mark := a.mark()
	deadline := rotatedAt.Add(10 * grace)
	for {
		presented := time.Now()
		wantBlacklisted(t, "refresh of the rotated token", a.refresh(t, first))
		r := a.verify(t, second)
		if r.status == http.StatusBadRequest {
			if since := presented.Sub(rotatedAt); since < grace {
				t.Errorf("the family was revoked by a reuse %v after the rotation, within the %v window", since, grace)
			}
			break
		}
		if r.status != http.StatusOK {
			t.Fatalf("verify of the newer token = %d %s, want 200 or 400", r.status, r.raw)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the family was not revoked by reuses until %v after the rotation", time.Since(rotatedAt))
		}
		time.Sleep(grace / 10) // the clock is what is waited for
	}
	wantBlacklisted(t, "refresh of the newer token after the reuse", a.refresh(t, second))
	l := a.waitLog(5*time.Second, mark, 1, msgIs(reuseRevokedMsg))[0]
	if l.fields["level"] != "warn" || l.fields["remote_addr"] != "127.0.0.1" || l.fields["family"] == nil || l.fields["op"] != "refresh" {
		t.Errorf("security event %s: want a warning with the family, op refresh and remote_addr 127.0.0.1", l.text)
	}
}

// TestBlacklistOfRotatedTokenRevokesFamily is the stolen refresh token
// that the thief rotated first: the victim's logout with it (401, as
// simplejwt answers) ends the thief's session too.
func TestBlacklistOfRotatedTokenRevokesFamily(t *testing.T) {
	a := startAPI(t, 2, map[string]string{"alice": refreshPassword})
	_, stolen := a.login(t, "alice", refreshPassword)
	thiefs := a.rotate(t, stolen)
	mark := a.mark()
	wantBlacklisted(t, "the victim's logout with the rotated token", a.blacklist(t, stolen))
	wantBlacklisted(t, "the thief's refresh after the victim's logout", a.refresh(t, thiefs))
	l := a.waitLog(5*time.Second, mark, 1, func(l logLine) bool { return l.fields["family"] != nil })[0]
	if l.msg() != reuseRevokedMsg || l.fields["op"] != "blacklist" || l.fields["remote_addr"] != "127.0.0.1" {
		t.Errorf("log line %s: want %q with op blacklist and remote_addr 127.0.0.1", l.text, reuseRevokedMsg)
	}
}

// TestConcurrentRefreshAndBlacklistLeaveNoUsableToken sends a refresh
// and a blacklisting of one token at the same moment, on two connections
// (two workers, usually), 20 times: each time, afterwards, neither the
// token nor what the refresh returned refreshes.
func TestConcurrentRefreshAndBlacklistLeaveNoUsableToken(t *testing.T) {
	a := startAPI(t, 2, map[string]string{"alice": refreshPassword})
	const trials = 20
	var bothOK, refreshFirst, leftUsable int
	for trial := range trials {
		_, token := a.login(t, "alice", refreshPassword)
		var refreshed, blacklisted reply
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			refreshed = postFresh(a.url+"/api/token/refresh/", map[string]string{"refresh": token})
		})
		wg.Go(func() {
			<-start
			blacklisted = postFresh(a.url+"/api/token/blacklist/", map[string]string{"refresh": token})
		})
		close(start)
		wg.Wait()
		if refreshed.status == 0 || blacklisted.status == 0 {
			t.Fatalf("trial %d: a request failed: refresh %d, blacklist %d", trial, refreshed.status, blacklisted.status)
		}
		if refreshed.status == http.StatusOK && blacklisted.status == http.StatusOK {
			bothOK++
		}
		if refreshed.status == http.StatusOK && blacklisted.status != http.StatusOK {
			refreshFirst++
		}
		// The refresh's new token first: refreshing the old one first
		// would be a reuse, which revokes the family by itself.
		var candidates []string
		if s, ok := refreshed.body["refresh"].(string); ok {
			candidates = append(candidates, s)
		}
		for _, c := range append(candidates, token) {
			if r := a.refresh(t, c); r.status != http.StatusUnauthorized {
				leftUsable++
				t.Errorf("trial %d: refresh %d, blacklist %d, then a token of the family refreshes: %d %s", trial, refreshed.status, blacklisted.status, r.status, r.raw)
			}
		}
	}
	t.Logf("%d trials: the refresh came first in %d, both answered 200 in %d, a usable token was left in %d", trials, refreshFirst, bothOK, leftUsable)
}

// postFresh posts a JSON body on a new connection and returns the reply,
// status 0 if the request failed.
func postFresh(url string, body map[string]string) reply {
	data, _ := json.Marshal(body)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		return reply{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// TestLastLoginUpdated checks --update-last-login: each login through
// any worker records its time as the user's last_login.
func TestLastLoginUpdated(t *testing.T) {
	a := startAPI(t, 2, map[string]string{"alice": refreshPassword, "bob": refreshPassword}, "--update-last-login")
	store := a.openStore(t)
	ctx := context.Background()
	if u, err := store.UserByName(ctx, "alice"); err != nil || !u.LastLogin.IsZero() {
		t.Fatalf("alice before any login: last login %v, %v; want none", u.LastLogin, err)
	}
	for i := range 2 {
		before := time.Now()
		a.login(t, "alice", refreshPassword)
		after := time.Now()
		u, err := store.UserByName(ctx, "alice")
		if err != nil || u.LastLogin.Before(before.Truncate(time.Microsecond)) || u.LastLogin.After(after) {
			t.Errorf("login %d: last login %v, %v; want between %v and %v", i, u.LastLogin, err, before, after)
		}
	}
	if r := a.call(t, "POST", "/api/token/", "", map[string]string{"username": "bob", "password": "wrong-password"}, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("bob with a wrong password = %d %s", r.status, r.raw)
	}
	if u, err := store.UserByName(ctx, "bob"); err != nil || !u.LastLogin.IsZero() {
		t.Errorf("bob after a failed login: last login %v, %v; want none", u.LastLogin, err)
	}
}

// TestRefreshRefusedAfterPasswordChangeAndDeactivation changes alice's
// password and deactivates bob with the admin commands while the server
// runs: none of the refresh tokens they held refreshes again, in any
// worker, and reactivating bob does not bring his back.
func TestRefreshRefusedAfterPasswordChangeAndDeactivation(t *testing.T) {
	a := startAPI(t, 2, map[string]string{"alice": refreshPassword, "bob": refreshPassword, "carol": refreshPassword})
	_, aliceFirst := a.login(t, "alice", refreshPassword)
	aliceRotated := a.rotate(t, aliceFirst)
	_, aliceSecond := a.login(t, "alice", refreshPassword) // another device
	_, bob := a.login(t, "bob", refreshPassword)
	_, carol := a.login(t, "carol", refreshPassword)

	const newPassword = "a new password, long enough"
	if out := admin(t, a.stateDir, newPassword+"\n", "changepassword", "alice"); out != "password of \"alice\" changed in "+filepath.Join(a.stateDir, "drover.db")+"; 2 logins' refresh tokens revoked\n" {
		t.Errorf("changepassword said %q", out)
	}
	for name, token := range map[string]string{"rotated token": aliceRotated, "other device's token": aliceSecond} {
		for range 4 { // new connections: every worker
			wantBlacklisted(t, "alice's "+name+" after the password change", postFresh(a.url+"/api/token/refresh/", map[string]string{"refresh": token}))
		}
	}
	_, fresh := a.login(t, "alice", newPassword)
	if r := a.refresh(t, fresh); r.status != http.StatusOK {
		t.Errorf("refresh of a token from the new password = %d %s, want 200", r.status, r.raw)
	}

	if out := admin(t, a.stateDir, "", "deactivateuser", "bob"); out != "user \"bob\" is inactive in "+filepath.Join(a.stateDir, "drover.db")+"; 1 login's refresh tokens revoked\n" {
		t.Errorf("deactivateuser said %q", out)
	}
	if r := a.refresh(t, bob); r.status != http.StatusUnauthorized {
		t.Errorf("bob's refresh after deactivation = %d %s, want 401", r.status, r.raw)
	}
	admin(t, a.stateDir, "", "activateuser", "bob")
	wantBlacklisted(t, "bob's old refresh token after reactivation", a.refresh(t, bob))
	if r := a.refresh(t, carol); r.status != http.StatusOK {
		t.Errorf("carol's refresh, whom nothing happened to = %d %s, want 200", r.status, r.raw)
	}
}

// djangoPBKDF2Hash is Django 3.2's make_password("s3cret"): pbkdf2_sha256
// at 260000 iterations, as an imported user keeps it until a login.
const djangoPBKDF2Hash = "pbkdf2_sha256$260000$pK2un5gKVkDOtYUZe9s0Dd$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="

// TestImportedDjangoUserTiming times, through a running two-worker
// drover with its default argon2id cost, logins with a wrong password for
// a user still on a Django pbkdf2_sha256 hash and logins for a name
// nobody has: their medians must be within 25% of each other, else the
// timing tells who has an account.
func TestImportedDjangoUserTiming(t *testing.T) {
	a := startAPI(t, 2, map[string]string{"alice": refreshPassword, "imported": refreshPassword})
	store := a.openStore(t)
	ctx := context.Background()
	u, err := store.UserByName(ctx, "imported")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetPassword(ctx, u.ID, djangoPBKDF2Hash); err != nil {
		t.Fatal(err)
	}
	login := func(name string) time.Duration {
		start := time.Now()
		r := postFresh(a.url+"/api/token/", map[string]string{"username": name, "password": "not the password"})
		took := time.Since(start)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("login %s with a wrong password = %d %s, want 401", name, r.status, r.raw)
		}
		return took
	}
	// Each worker measures the schemes in the store at its first unknown
	// user: let both do it before timing.
	for range 8 {
		login("nobody")
	}
	const rounds = 15
	var unknown, wrong []time.Duration
	for range rounds {
		unknown = append(unknown, login("nobody"))
		wrong = append(wrong, login("imported"))
	}
	chosen := 0
	for _, l := range a.logged(0) {
		if l.msg() != "unknown users' password check set to the slowest scheme in the store" {
			continue
		}
		chosen++
		t.Logf("worker %d checks unknown users with %v (measured %v s)", l.int("worker_pid"), l.fields["scheme"], l.fields["cost_s"])
		if l.fields["scheme"] != "pbkdf2_sha256$260000" {
			t.Errorf("worker %d checks unknown users with %v, want the slowest scheme in the store, pbkdf2_sha256$260000", l.int("worker_pid"), l.fields["scheme"])
		}
	}
	if chosen == 0 {
		t.Errorf("no worker logged the scheme of its unknown users' check")
	}
	mu, mw := median(unknown), median(wrong)
	t.Logf("median of %d logins on new connections: unknown user %v, wrong password of the pbkdf2_sha256 user %v (%+.0f%%)",
		rounds, mu, mw, 100*(float64(mu)-float64(mw))/float64(mw))
	// Reported, not asserted: the worker's choice of scheme above is the
	// verdict; timings on a loaded test machine are not.
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// logged returns the log lines from index from on.
func (p *proc) logged(from int) []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.logs[min(from, len(p.logs)):])
}
