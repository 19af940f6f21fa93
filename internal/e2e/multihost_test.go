package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover/drover/internal/pgtest"
)

// droverWith runs a drover command with env added to the harness's
// environment (no state dir of its own: env says where the store is) and
// returns its output; the test fails if it exits non-zero.
func droverWith(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(droverBin, args...)
	cmd.Env = append(append(os.Environ(), "DROVER_SECRET_KEY="+testSecretKey,
		"DROVER_ARGON2_MEMORY=64K", "DROVER_ARGON2_ITERATIONS=1"), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("drover %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// host is one drover supervisor standing for one application host: its
// own port and state directory, the shared database and key.
type host struct {
	*server
	name string
}

// startHosts starts n drover supervisors of two workers each on the
// PostgreSQL database at url, with args added.
func startHosts(t *testing.T, url string, n int, args ...string) []*host {
	t.Helper()
	hosts := make([]*host, n)
	for i := range hosts {
		s := serve(t, droverBin, 2, []string{"DATABASE_URL=" + url}, args...)
		hosts[i] = &host{server: s, name: string(rune('A' + i))}
	}
	return hosts
}

// post sends a JSON body to url and returns the status and the decoded
// body; status 0 when the request failed.
func post(c *http.Client, url string, body map[string]string) (int, map[string]any, string) {
	data, _ := json.Marshal(body)
	resp, err := c.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, string(raw)
}

// getAuthed GETs url with a bearer token and returns the status.
func getAuthed(c *http.Client, url, access string) (int, string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestMultiHost is the picture of several application hosts: a real
// PostgreSQL server, two drover supervisors sharing its database and the
// signing key, and the real nginx with an upstream of both.
func TestMultiHost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, nginx and two drover hosts")
	}
	cluster := pgtest.Start(t)
	url := cluster.CreateDatabase(t, "drover_multihost")
	env := []string{"DATABASE_URL=" + url}
	out := droverWith(t, env, "alice-password\n", "createuser", "alice", "--no-validate")
	if !strings.Contains(out, "created user") || strings.Contains(out, "drover.db") {
		t.Fatalf("createuser on PostgreSQL said: %s", out)
	}
	droverWith(t, env, "bob-password\n", "createuser", "bob", "--no-validate")

	// A user cache TTL of 2s: short enough for the deactivation check,
	// and the outage below outlasts it (stale-if-error carries /hello/).
	hosts := startHosts(t, url, 2, "--user-cache-ttl", "2s")
	a, b := hosts[0], hosts[1]
	user := ""
	if os.Getuid() == 0 {
		user = "root"
	}
	ngx := startNginxUpstream(t, user, fmt.Sprintf("server %s max_fails=1 fail_timeout=2s;\n    server %s max_fails=1 fail_timeout=2s;", a.addr, b.addr))
	front := clientFrom("127.0.0.1")
	direct := &http.Client{Timeout: 10 * time.Second}

	login := func(t *testing.T, c *http.Client, base, name, password string) (access, refresh string) {
		t.Helper()
		status, body, raw := post(c, base+"/api/token/", map[string]string{"username": name, "password": password})
		if status != 200 {
			t.Fatalf("login %s at %s = %d %s", name, base, status, raw)
		}
		return body["access"].(string), body["refresh"].(string)
	}

	t.Run("login through nginx, refreshes alternating hosts", func(t *testing.T) {
		access, refresh := login(t, front, ngx.httpsURL, "alice", "alice-password")
		for _, h := range hosts {
			if status, raw := getAuthed(direct, h.url+"/hello/", access); status != 200 {
				t.Fatalf("/hello/ at host %s with the token nginx's login gave = %d %s", h.name, status, raw)
			}
		}
		for i := range 10 {
			h, other := hosts[i%2], hosts[(i+1)%2]
			status, body, raw := post(direct, h.url+"/api/token/refresh/", map[string]string{"refresh": refresh})
			if status != 200 {
				t.Fatalf("refresh %d at host %s = %d %s", i, h.name, status, raw)
			}
			rotated := refresh
			refresh, access = body["refresh"].(string), body["access"].(string)
			if status, raw := getAuthed(direct, other.url+"/hello/", access); status != 200 {
				t.Fatalf("/hello/ at host %s with host %s's access token = %d %s", other.name, h.name, status, raw)
			}
			if i == 0 {
				// Rotated away on one host, refused on the other (within
				// the reuse grace: refused, nothing revoked).
				if status, _, raw := post(direct, other.url+"/api/token/refresh/", map[string]string{"refresh": rotated}); status != 401 {
					t.Fatalf("the rotated refresh token at host %s = %d %s, want 401", other.name, status, raw)
				}
			}
		}
	})

	t.Run("two simultaneous refreshes on two hosts: exactly one wins", func(t *testing.T) {
		for trial := range 20 {
			_, refresh := login(t, direct, a.url, "alice", "alice-password")
			var wg sync.WaitGroup
			start := make(chan struct{})
			statuses := make([]int, 2)
			raws := make([]string, 2)
			for i, h := range hosts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[i], _, raws[i] = post(direct, h.url+"/api/token/refresh/", map[string]string{"refresh": refresh})
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			for i, s := range statuses {
				switch s {
				case 200:
					won++
				case 401:
				default:
					t.Fatalf("trial %d: host %s answered %d %s", trial, hosts[i].name, s, raws[i])
				}
			}
			if won != 1 {
				t.Fatalf("trial %d: %d of two simultaneous refreshes won (A: %d %s; B: %d %s), want exactly 1",
					trial, won, statuses[0], raws[0], statuses[1], raws[1])
			}
		}
	})

	t.Run("a blacklist on host A is refused on host B at once", func(t *testing.T) {
		_, refresh := login(t, direct, a.url, "alice", "alice-password")
		if status, _, raw := post(direct, a.url+"/api/token/blacklist/", map[string]string{"refresh": refresh}); status != 200 {
			t.Fatalf("blacklist at A = %d %s", status, raw)
		}
		status, body, raw := post(direct, b.url+"/api/token/refresh/", map[string]string{"refresh": refresh})
		if status != 401 || body["detail"] != "Token is blacklisted" {
			t.Fatalf("refresh of the blacklisted token at B = %d %s, want 401 Token is blacklisted", status, raw)
		}
	})

	t.Run("deactivateuser takes effect on the other host within the user cache TTL", func(t *testing.T) {
		access, _ := login(t, direct, a.url, "bob", "bob-password")
		if status, raw := getAuthed(direct, b.url+"/hello/", access); status != 200 {
			t.Fatalf("/hello/ at B before = %d %s", status, raw)
		}
		droverWith(t, env, "", "deactivateuser", "bob")
		deactivated := time.Now()
		for {
			status, raw := getAuthed(direct, b.url+"/hello/", access)
			if status == 401 {
				t.Logf("deactivation seen at host B after %v", time.Since(deactivated).Round(time.Millisecond))
				break
			}
			if status != 200 {
				t.Fatalf("/hello/ at B after deactivateuser = %d %s", status, raw)
			}
			if time.Since(deactivated) > 2*time.Second+time.Second {
				t.Fatalf("/hello/ at B still 200 %v after deactivateuser; the user cache TTL is 2s", time.Since(deactivated))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("PostgreSQL stopped under load: 503 where needed, /hello/ still 200, recovery without a restart", func(t *testing.T) {
		access, refresh := login(t, front, ngx.httpsURL, "alice", "alice-password")
		pidsBefore := append(a.workerPIDs(), b.workerPIDs()...)

		// /hello/ through nginx on keep-alive connections, the whole time.
		var hello, helloBad atomic.Int64
		var firstBad atomic.Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := clientFrom("127.0.0.1")
				for {
					select {
					case <-stop:
						return
					default:
					}
					status, raw := getAuthed(c, ngx.httpsURL+"/hello/", access)
					hello.Add(1)
					if status != 200 {
						helloBad.Add(1)
						firstBad.CompareAndSwap(nil, fmt.Sprintf("%d %s", status, raw))
					}
				}
			}()
		}
		time.Sleep(500 * time.Millisecond)

		cluster.Stop()
		stopped := time.Now()
		// Refreshes and logins need the database: 503 in DRF's shape,
		// from both hosts.
		for _, h := range hosts {
			status, body, raw := post(direct, h.url+"/api/token/refresh/", map[string]string{"refresh": refresh})
			if status != 503 || body["detail"] != "Service temporarily unavailable, try again later." {
				t.Errorf("refresh at host %s with PostgreSQL down = %d %s, want 503 DRF's ServiceUnavailable", h.name, status, raw)
			}
			status, _, raw = post(direct, h.url+"/api/token/", map[string]string{"username": "alice", "password": "alice-password"})
			if status != 503 {
				t.Errorf("login at host %s with PostgreSQL down = %d %s, want 503", h.name, status, raw)
			}
		}
		// Past the user cache TTL, still down.
		time.Sleep(time.Until(stopped.Add(3 * time.Second)))
		cluster.StartAgain()

		// Back without restarting drover: refresh works on both hosts.
		deadline := time.Now().Add(15 * time.Second)
		for _, h := range hosts {
			for {
				status, body, raw := post(direct, h.url+"/api/token/refresh/", map[string]string{"refresh": refresh})
				if status == 200 {
					refresh = body["refresh"].(string)
					break
				}
				if status != 503 || time.Now().After(deadline) {
					t.Fatalf("refresh at host %s after PostgreSQL came back = %d %s", h.name, status, raw)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		close(stop)
		wg.Wait()
		t.Logf("/hello/ through nginx during the outage: %d requests, %d not 200", hello.Load(), helloBad.Load())
		if helloBad.Load() > 0 {
			t.Errorf("%d of %d /hello/ requests failed while PostgreSQL was down; first: %v", helloBad.Load(), hello.Load(), firstBad.Load())
		}
		if hello.Load() < 100 {
			t.Errorf("only %d /hello/ requests in the outage: the load did not run", hello.Load())
		}
		pidsAfter := append(a.workerPIDs(), b.workerPIDs()...)
		if fmt.Sprint(pidsBefore) != fmt.Sprint(pidsAfter) {
			t.Errorf("workers changed over the outage: %v → %v (nothing should have restarted)", pidsBefore, pidsAfter)
		}
		for _, h := range hosts {
			out := h.output()
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") || strings.Contains(out, "stacktrace") {
				t.Errorf("host %s logged a stack:\n%s", h.name, out)
			}
			if !strings.Contains(out, `"msg":"store unavailable"`) {
				t.Errorf("host %s did not log its 503s as store unavailable:\n%s", h.name, out)
			}
		}
	})
}
