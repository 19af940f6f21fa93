package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestWorkersAppearAndAllServe(t *testing.T) {
	const n = 3
	s := serve(t, testappBin, n, nil, "--worker-class", "sync")
	pids := s.waitWorkers(n, 5*time.Second)

	// Sync workers take one request at a time and stop accepting while
	// busy, so concurrent slow requests spread over every worker.
	seen := map[int]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 2 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := client()
				defer c.CloseIdleConnections()
				status, body := get(t, c, s.url+"/sleep?d=150ms")
				if status != http.StatusOK {
					t.Errorf("status %d: %s", status, body)
					return
				}
				pid, _ := strconv.Atoi(strings.Fields(body)[3])
				mu.Lock()
				seen[pid] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	for pid := range seen {
		if !slices.Contains(pids, pid) {
			t.Errorf("request served by %d, not one of the workers %v", pid, pids)
		}
	}
	if len(seen) != n {
		t.Errorf("requests were served by %d distinct workers, want %d", len(seen), n)
	}
}

func TestKilledWorkerIsReplacedWithoutFailedRequests(t *testing.T) {
	s := serve(t, testappBin, 3, nil)
	pids := s.waitWorkers(3, 5*time.Second)
	mark := s.mark()

	stopLoad := backgroundLoad(s.url+"/pid", 4)
	time.Sleep(300 * time.Millisecond) // let the loop establish its connections
	victim := pids[0]
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	died := s.waitLog(5*time.Second, mark, 1, msgIs("worker died; replacing it"))[0]
	if died.int("worker_pid") != victim || !strings.Contains(died.text, "killed by SIGKILL") {
		t.Errorf("death logged as %s, want worker_pid %d killed by SIGKILL", died.text, victim)
	}
	s.waitLog(5*time.Second, mark, 1, supervisorReady)
	time.Sleep(300 * time.Millisecond) // the loop keeps going on the replacement
	res := stopLoad()
	res.check(t, 100)

	now := s.waitWorkers(3, 5*time.Second)
	if slices.Contains(now, victim) {
		t.Errorf("killed worker %d is still listed in %v", victim, now)
	}
}

func TestTermWaitsForSlowRequestThenExitsZero(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--graceful-timeout", "10")
	mark := s.mark()
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := client().Get(s.url + "/sleep?d=1500ms")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, err = b.ReadFrom(resp.Body)
		done <- result{status: resp.StatusCode, body: b.String(), err: err}
	}()
	s.waitLog(5*time.Second, mark, 1, msgIs("testapp sleeping"))
	s.signal(syscall.SIGTERM)

	r := <-done
	if r.err != nil || r.status != http.StatusOK || !strings.HasPrefix(r.body, "slept 1.5s") {
		t.Errorf("slow request during TERM: status %d, body %q, err %v; want 200 slept 1.5s", r.status, r.body, r.err)
	}
	if code := s.wait(15 * time.Second); code != 0 {
		t.Errorf("supervisor exit code = %d, want 0", code)
	}
}

func TestTTINAndTTOUChangeWorkerCount(t *testing.T) {
	s := serve(t, testappBin, 2, nil)
	s.waitWorkers(2, 5*time.Second)
	s.signal(syscall.SIGTTIN)
	s.waitWorkers(3, 5*time.Second)
	s.signal(syscall.SIGTTOU)
	s.waitWorkers(2, 5*time.Second)
	s.signal(syscall.SIGTTOU)
	s.waitWorkers(1, 5*time.Second)
	mark := s.mark()
	s.signal(syscall.SIGTTOU) // refused: at least one worker
	s.waitLog(5*time.Second, mark, 1, msgIs("worker count unchanged: at least one worker is needed"))
	if pids := s.waitWorkers(1, time.Second); len(pids) != 1 {
		t.Errorf("workers after refused TTOU = %v", pids)
	}
}

func TestHUPReplacesEveryWorkerWithoutFailedRequests(t *testing.T) {
	s := serve(t, testappBin, 2, nil)
	before := s.waitWorkers(2, 5*time.Second)
	mark := s.mark()

	stopLoad := backgroundLoad(s.url+"/pid", 4)
	time.Sleep(300 * time.Millisecond)
	s.signal(syscall.SIGHUP)
	s.waitLog(10*time.Second, mark, 1, msgIs("reload complete"))
	after := s.waitWorkers(2, 10*time.Second) // the old generation has drained
	time.Sleep(300 * time.Millisecond)
	res := stopLoad()
	res.check(t, 100)

	for _, pid := range after {
		if slices.Contains(before, pid) {
			t.Errorf("worker %d survived the reload (before %v, after %v)", pid, before, after)
		}
	}
	for pid := range res.pids {
		n, _ := strconv.Atoi(pid)
		if !slices.Contains(before, n) && !slices.Contains(after, n) {
			t.Errorf("request served by %d, which is neither an old nor a new worker", n)
		}
	}
}

func TestHUPWithFailingWorkersKeepsOldGeneration(t *testing.T) {
	failFile := filepath.Join(t.TempDir(), "fail")
	s := serve(t, testappBin, 2, []string{"TESTAPP_FAIL_BOOT_FILE=" + failFile})
	before := s.waitWorkers(2, 5*time.Second)
	if err := os.WriteFile(failFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mark := s.mark()
	s.signal(syscall.SIGHUP)
	s.waitLog(10*time.Second, mark, 1, msgIs("reload abandoned; the running workers keep serving"))
	after := s.waitWorkers(2, 5*time.Second)
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("workers after an abandoned reload = %v, want the old ones %v", after, before)
	}
	c := client()
	if status, body := get(t, c, s.url+"/hello/"); status != http.StatusOK {
		t.Errorf("GET /hello/ after abandoned reload = %d %s", status, body)
	}
}

func TestWorkerBootFailureExitsThree(t *testing.T) {
	failFile := filepath.Join(t.TempDir(), "fail")
	if err := os.WriteFile(failFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, testappBin, []string{"TESTAPP_FAIL_BOOT_FILE=" + failFile},
		"serve", "--bind", "127.0.0.1:0", "--workers", "2")
	if code := p.wait(20 * time.Second); code != 3 {
		t.Errorf("exit code = %d, want 3", code)
	}
	// The last line may still be in the pipe when the process has exited;
	// the workers' own "testapp: worker boot" lines come earlier.
	p.waitLog(5*time.Second, 0, 1, func(l logLine) bool { return strings.HasPrefix(l.text, "testapp: workers failed") })
	out := p.output()
	for _, want := range []string{
		"testapp: workers failed to boot 3 times in a row",
		"worker boot: application: TESTAPP_FAIL_BOOT_FILE exists",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

func TestSupervisorKilledLeavesNoWorkers(t *testing.T) {
	s := serve(t, testappBin, 3, nil)
	pids := s.waitWorkers(3, 5*time.Second)
	s.signal(syscall.SIGKILL)
	s.wait(5 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []int
		for _, pid := range pids {
			if alive(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers %v still running 5s after the supervisor was killed", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMaxRequestsRecyclesWorkersWithoutFailedRequests(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--max-requests", "20", "--max-requests-jitter", "5")
	first := s.waitWorkers(2, 5*time.Second)
	mark := s.mark()
	res := load(s.url+"/pid", 4, 20*time.Second, closedAfter(400))
	res.check(t, 100)
	retired := s.waitLog(10*time.Second, mark, 2, msgIs("worker retiring; starting its replacement"))
	if len(retired) < 2 {
		t.Errorf("retired %d workers, want at least 2", len(retired))
	}
	if len(res.pids) <= 2 {
		t.Errorf("requests were served by %d workers, want more than the first 2 %v", len(res.pids), first)
	}
	s.waitWorkers(2, 10*time.Second)
}

// closedAfter returns a channel closed once n requests would have been
// made by a fast loop: a bound in time for load.
func closedAfter(n int) <-chan struct{} {
	c := make(chan struct{})
	time.AfterFunc(time.Duration(n)*5*time.Millisecond, func() { close(c) })
	return c
}

func TestHungWorkerIsReplacedWithinTimeout(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--timeout", "2")
	pids := s.waitWorkers(2, 5*time.Second)
	victim := pids[0]
	mark := s.mark()
	stoppedAt := time.Now()
	if err := syscall.Kill(victim, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	timedOut := s.waitLog(6*time.Second, mark, 1, msgIs("worker timed out (no heartbeat); dumping its stacks and killing it"))[0]
	if timedOut.int("worker_pid") != victim {
		t.Errorf("timed-out worker = %d, want %d", timedOut.int("worker_pid"), victim)
	}
	s.waitLog(5*time.Second, mark, 1, supervisorReady)
	if took := time.Since(stoppedAt); took > 2*time.Second+1500*time.Millisecond {
		t.Errorf("replacement ready %s after SIGSTOP, want within the 2s timeout plus a heartbeat", took)
	}
	after := s.waitWorkers(2, 5*time.Second)
	if slices.Contains(after, victim) {
		t.Errorf("hung worker %d still alive", victim)
	}
}

func TestPanicAnswers500AndWorkerKeepsServing(t *testing.T) {
	s := serve(t, testappBin, 1, nil)
	c := client()
	_, pidBefore := get(t, c, s.url+"/pid")
	status, body := get(t, c, s.url+"/panic")
	var got map[string]string
	if status != http.StatusInternalServerError || json.Unmarshal([]byte(body), &got) != nil || got["detail"] == "" {
		t.Errorf("GET /panic = %d %s, want 500 with a JSON detail", status, body)
	}
	_, pidAfter := get(t, c, s.url+"/pid")
	if pidBefore != pidAfter {
		t.Errorf("worker changed after a panic: %s → %s", pidBefore, pidAfter)
	}
}

func TestExitedWorkerIsLoggedWithStatusAndReplaced(t *testing.T) {
	s := serve(t, testappBin, 1, nil)
	mark := s.mark()
	resp, err := client().Get(s.url + "/exit")
	if err == nil {
		resp.Body.Close()
	}
	died := s.waitLog(5*time.Second, mark, 1, msgIs("worker died; replacing it"))[0]
	if died.fields["status"] != "exit status 7" {
		t.Errorf("status = %v, want exit status 7", died.fields["status"])
	}
	s.waitLog(5*time.Second, mark, 1, supervisorReady)
	if status, _ := get(t, client(), s.url+"/hello/"); status != http.StatusOK {
		t.Errorf("GET /hello/ after replacement = %d", status)
	}
}

func TestPIDFileWrittenAndRemoved(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "drover.pid")
	s := serve(t, droverBin, 1, nil, "--pid", pidFile)
	data, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(s.cmd.Process.Pid) {
		t.Fatalf("pid file = %q, %v; want %d", data, err, s.cmd.Process.Pid)
	}
	s.signal(syscall.SIGTERM)
	s.wait(10 * time.Second)
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file still exists after exit: %v", err)
	}
}

func TestUSR1ReopensAccessLog(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	s := serve(t, droverBin, 1, nil, "--access-logfile", logPath)
	c := client()
	get(t, c, s.url+"/hello/?first")
	rotated := filepath.Join(dir, "access.log.1")
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	mark := s.mark()
	s.signal(syscall.SIGUSR1)
	s.waitLog(5*time.Second, mark, 1, msgIs("log files reopened"))
	get(t, c, s.url+"/hello/?second")

	old, _ := os.ReadFile(rotated)
	cur, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("access log not reopened: %v", err)
	}
	if !strings.Contains(string(old), `"query":"first"`) || strings.Contains(string(old), `"query":"second"`) {
		t.Errorf("rotated log = %s, want only the first request", old)
	}
	if !strings.Contains(string(cur), `"query":"second"`) {
		t.Errorf("new log = %s, want the second request", cur)
	}
}

func TestUnixSocketBind(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "drover.sock")
	p := start(t, droverBin, nil, "serve", "--bind", "unix:"+sock, "--workers", "1")
	p.waitLog(10*time.Second, 0, 1, supervisorReady)
	info, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o660 {
		t.Errorf("socket mode = %o, want 660", mode)
	}
	c := unixClient(sock)
	status, body := get(t, c, "http://drover/healthz")
	if status != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("GET /healthz over unix socket = %d %s", status, body)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit code = %d", code)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
}
