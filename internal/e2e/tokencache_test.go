package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTokenCacheKeyRemoved checks that the workers' cache of verified
// access tokens does not outlive a key: a token of key A answered twice
// at /hello/ (the second time from the cache) is refused after a HUP to a
// configuration with key B alone, since the new generation's workers
// build new Tokens, with an empty cache and without A.
func TestTokenCacheKeyRemoved(t *testing.T) {
	for _, alg := range []string{"EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			dir, stateDir := t.TempDir(), t.TempDir()
			admin(t, stateDir, "cache-password\n", "createuser", "alice")
			keyFile, file := filepath.Join(dir, "signing.pem"), filepath.Join(dir, "drover.toml")
			writePrivateKey(t, alg, keyFile)
			config := "jwt_algorithm = \"" + alg + "\"\njwt_private_key_file = \"" + keyFile + "\"\n"
			if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			s := serveConfigured(t, stateDir, file)

			old := login(t, s.url, "alice", "cache-password")
			for i := range 2 {
				if status := hello(t, s.url, old); status != http.StatusOK {
					t.Fatalf("GET /hello/ #%d with key A's token = %d, want 200", i+1, status)
				}
			}

			// Key B replaces A, with no verify key for A.
			_, newKid := writePrivateKey(t, alg, keyFile)
			reloadWith(t, s, file, config)
			// The old worker may take a last connection or two while it
			// starts draining, and it still has key A: wait until the new
			// generation answers, then until A's token is refused, which
			// a new worker answering it from some cache never would.
			deadline := time.Now().Add(10 * time.Second)
			fresh := login(t, s.url, "alice", "cache-password")
			for headerKid(t, fresh) != newKid {
				if time.Now().After(deadline) {
					t.Fatalf("after the HUP new tokens carry kid %q, want key B's %q", headerKid(t, fresh), newKid)
				}
				time.Sleep(50 * time.Millisecond)
				fresh = login(t, s.url, "alice", "cache-password")
			}
			for status := hello(t, s.url, old); status != http.StatusUnauthorized; status = hello(t, s.url, old) {
				if time.Now().After(deadline) {
					t.Fatalf("GET /hello/ with key A's token after the HUP = %d, want 401", status)
				}
				time.Sleep(50 * time.Millisecond)
			}
			for i := range 3 {
				if status := hello(t, s.url, old); status != http.StatusUnauthorized {
					t.Errorf("GET /hello/ #%d with key A's token after the refusal = %d, want 401", i+1, status)
				}
			}
			if status := hello(t, s.url, fresh); status != http.StatusOK {
				t.Errorf("GET /hello/ with key B's token = %d, want 200", status)
			}
		})
	}
}
