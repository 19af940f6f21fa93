package e2e

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestKill9DuringLoginsAndRotationsLosesNoCommittedRow kills every drover
// process mid-burst; a new drover on the same store must open it and know
// every refresh token a client was given.
func TestKill9DuringLoginsAndRotationsLosesNoCommittedRow(t *testing.T) {
	const pw = "correct horse battery"
	users := map[string]string{"u1": pw, "u2": pw, "u3": pw, "u4": pw}
	a := startAPI(t, 2, users, "--argon2-memory", "64K", "--argon2-iterations", "1")

	var mu sync.Mutex
	latest := map[int]string{} // per client: the last refresh token it was given
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := 0
	for name := range users {
		client++
		id := client
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				refresh := latest[id]
				mu.Unlock()
				var r reply
				if refresh == "" {
					r = a.tryCall("POST", "/api/token/", map[string]string{"username": name, "password": pw})
				} else {
					r = a.tryCall("POST", "/api/token/refresh/", map[string]string{"refresh": refresh})
				}
				if r.status == 200 {
					mu.Lock()
					latest[id] = r.body["refresh"].(string)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond) // a burst, bounded
	pids := append(a.workerPIDs(), a.cmd.Process.Pid)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	close(stop)
	wg.Wait()
	a.wait(5 * time.Second)

	if len(latest) == 0 {
		t.Fatal("no client got a token before the kill")
	}
	b := &apiServer{server: serve(t, droverBin, 1, []string{"DROVER_STATE_DIR=" + a.stateDir}), stateDir: a.stateDir}
	// The store knows every token a client was given: it refreshes, or,
	// when the kill cut off the response to its rotation (committed, not
	// delivered), it is known as rotated. Unknown would be a lost row.
	for id, refresh := range latest {
		r := b.call(t, "POST", "/api/token/refresh/", "", map[string]string{"refresh": refresh}, "")
		if r.status != 200 && r.body["detail"] != "Token is blacklisted" {
			t.Errorf("client %d: the last refresh token it was given is unknown after the crash: %d %s", id, r.status, r.raw)
		}
	}
}
