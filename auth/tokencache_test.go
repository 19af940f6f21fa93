package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// breakSecret makes tk's HS256 key another secret, so that a token of
// testSecret Parse accepts after it was answered from the cache, and
// refuses after it was verified again.
func breakSecret(tk *Tokens) {
	tk.secrets.Keys[0] = []byte(strings.Repeat("z", MinSecretSize))
}

// setClock stops tk's clock at at.
func setClock(tk *Tokens, at time.Time) { tk.now = func() time.Time { return at } }

// TestVerifyCacheHit checks that a second Parse of an access token is
// answered from the cache (it is accepted though the key changed, which
// a verification would refuse) with the claims of the first, payload
// included, and without allocating.
func TestVerifyCacheHit(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	tok, _, err := tk.IssueWith(Access, 42, map[string]any{"plan": "pro"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := tk.Parse(tok, Access)
	if err != nil {
		t.Fatalf("Parse(%q) = %v", tok, err)
	}
	breakSecret(tk)
	got, err := tk.Parse(tok, Access)
	if err != nil || got != first {
		t.Fatalf("cached Parse(%q) = %+v, %v; want %+v, nil", tok, got, err, first)
	}
	var plan string
	if found, err := got.Claim("plan", &plan); !found || err != nil || plan != "pro" {
		t.Errorf("cached claims: Claim(plan) = %v, %v, %q; want true, nil, pro", found, err, plan)
	}
	if n := tk.CachedTokens(); n != 1 {
		t.Errorf("CachedTokens() = %d, want 1", n)
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = tk.Parse(tok, Access) }); allocs != 0 {
		t.Errorf("cached Parse allocates %v times, want 0", allocs)
	}
}

// TestVerifyCacheWindow checks each end of a cached entry's window: the
// token's exp (not exp+Leeway), the ten-minute cap, and a clock set back
// before the verification. Past either end the token is verified again,
// which the broken key then refuses.
func TestVerifyCacheWindow(t *testing.T) {
	exp := testNow.Add(5 * time.Minute)
	tests := []struct {
		name     string
		giveCfg  TokenConfig
		giveExp  time.Time
		giveAt   time.Time
		wantErr  error
		wantSize int
	}{
		{name: "a second before exp: cached", giveExp: exp, giveAt: exp.Add(-time.Second), wantSize: 1},
		{name: "at exp: verified again, expired", giveExp: exp, giveAt: exp, wantErr: ErrTokenInvalid},
		{name: "after exp: verified again, expired", giveExp: exp, giveAt: exp.Add(time.Hour), wantErr: ErrTokenInvalid},
		{name: "within leeway past exp: verified again", giveCfg: TokenConfig{Leeway: time.Minute}, giveExp: exp, giveAt: exp.Add(time.Second), wantErr: ErrTokenInvalid},
		{name: "just before the cap: cached", giveExp: testNow.Add(time.Hour), giveAt: testNow.Add(maxVerifiedAge - time.Second), wantSize: 1},
		{name: "at the cap: verified again", giveExp: testNow.Add(time.Hour), giveAt: testNow.Add(maxVerifiedAge), wantErr: ErrTokenInvalid},
		{name: "clock set back: verified again", giveExp: exp, giveAt: testNow.Add(-time.Second), wantErr: ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.giveCfg
			cfg.Secret = []byte(testSecret)
			tk := newTestTokens(t, cfg)
			tok := hs256(t, hsHeader, claimsJSON(t, "exp", tt.giveExp.Unix()))
			if _, err := tk.Parse(tok, Access); err != nil {
				t.Fatalf("Parse(%q) = %v", tok, err)
			}
			breakSecret(tk)
			setClock(tk, tt.giveAt)
			_, err := tk.Parse(tok, Access)
			if !errors.Is(err, tt.wantErr) || tk.CachedTokens() != tt.wantSize {
				t.Errorf("Parse(%q) at %v = %v with %d cached; want %v, %d", tok, tt.giveAt, err, tk.CachedTokens(), tt.wantErr, tt.wantSize)
			}
		})
	}
}

// TestVerifyCacheExpired checks, with the key intact, that an expired
// token is refused though it was cached, and is no longer cached.
func TestVerifyCacheExpired(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), Leeway: 30 * time.Second})
	tok := issue(t, tk, Access, 42)
	if _, err := tk.Parse(tok, Access); err != nil || tk.CachedTokens() != 1 {
		t.Fatalf("Parse(%q) = %v with %d cached, want nil and 1", tok, err, tk.CachedTokens())
	}
	setClock(tk, testNow.Add(DefaultAccessLifetime+30*time.Second))
	if _, err := tk.Parse(tok, Access); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("Parse(%q) past exp+leeway = %v, want ErrTokenInvalid", tok, err)
	}
	if n := tk.CachedTokens(); n != 0 {
		t.Errorf("CachedTokens() after expiry = %d, want 0", n)
	}
}

// TestVerifyCacheNotBefore checks that a token not valid yet is refused
// and not cached, so that it is refused again, and accepted once its nbf
// has come.
func TestVerifyCacheNotBefore(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	nbf := testNow.Add(time.Minute)
	tok := hs256(t, hsHeader, claimsJSON(t, "nbf", nbf.Unix()))
	steps := []struct {
		name     string
		giveAt   time.Time
		wantErr  error
		wantSize int
	}{
		{name: "before nbf", giveAt: testNow, wantErr: ErrTokenInvalid},
		{name: "before nbf again", giveAt: nbf.Add(-time.Second), wantErr: ErrTokenInvalid},
		{name: "at nbf", giveAt: nbf, wantSize: 1},
		{name: "after nbf, cached", giveAt: nbf.Add(time.Second), wantSize: 1},
	}
	for _, st := range steps {
		setClock(tk, st.giveAt)
		if _, err := tk.Parse(tok, Access); !errors.Is(err, st.wantErr) || tk.CachedTokens() != st.wantSize {
			t.Errorf("%s: Parse = %v with %d cached; want %v, %d", st.name, err, tk.CachedTokens(), st.wantErr, st.wantSize)
		}
	}
}

// TestVerifyCacheKeyRotation is a rotation as a HUP makes it: the new
// workers build new Tokens without the removed key. Their cache starts
// empty, and a token of the removed key, cached by the old Tokens, is
// refused.
func TestVerifyCacheKeyRotation(t *testing.T) {
	privA, _ := generateKey(t, "EdDSA")
	privB, _ := generateKey(t, "EdDSA")
	old := newTestTokens(t, TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: privA})
	tok := issue(t, old, Access, 42)
	if _, err := old.Parse(tok, Access); err != nil || old.CachedTokens() != 1 {
		t.Fatalf("old Parse = %v with %d cached, want nil and 1", err, old.CachedTokens())
	}
	rotated := newTestTokens(t, TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: privB})
	if n := rotated.CachedTokens(); n != 0 {
		t.Errorf("new Tokens: CachedTokens() = %d, want 0", n)
	}
	if _, err := rotated.Parse(tok, Access); err == nil || err.Error() != "token invalid: unknown kid" {
		t.Errorf("new Tokens: Parse(token of the removed key) = %v, want unknown kid", err)
	}
	if _, err := old.Parse(tok, Access); err != nil {
		t.Errorf("old Tokens: Parse = %v, want its cached answer", err)
	}

	hsOld := newTestTokens(t, TokenConfig{Secret: []byte(strings.Repeat("n", 32)), PreviousSecrets: [][]byte{[]byte(testSecret)}})
	hsTok := hs256(t, hsHeader, claimsJSON(t))
	if _, err := hsOld.Parse(hsTok, Access); err != nil {
		t.Fatalf("HS256 with the previous secret: Parse = %v", err)
	}
	hsNew := newTestTokens(t, TokenConfig{Secret: []byte(strings.Repeat("n", 32))})
	if _, err := hsNew.Parse(hsTok, Access); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("HS256 without the previous secret: Parse = %v, want ErrTokenInvalid", err)
	}
}

// TestVerifyCacheForgery checks that tokens sharing a prefix (or all but
// a part) with a cached one are verified, not answered from the cache.
func TestVerifyCacheForgery(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	tok := issue(t, tk, Access, 42)
	if _, err := tk.Parse(tok, Access); err != nil {
		t.Fatal(err)
	}
	last := tok[len(tok)-1]
	other := byte('A')
	if last == 'A' {
		other = 'B'
	}
	otherPayload := segment(hs256(t, hsHeader, claimsJSON(t, "user_id", 1)), 1)
	tests := []struct {
		name string
		give string
	}{
		{name: "last signature character changed", give: tok[:len(tok)-1] + string(other)},
		{name: "a character appended", give: tok + "A"},
		{name: "a segment appended", give: tok + "." + segment(tok, 2)},
		{name: "the last character cut", give: tok[:len(tok)-1]},
		{name: "the signature cut", give: tok[:strings.LastIndexByte(tok, '.')+1]},
		{name: "the payload changed, the old signature", give: replaceSegment(tok, 1, otherPayload)},
		{name: "the header changed, the old signature", give: replaceSegment(tok, 0, b64(`{"alg":"HS256","typ":"JWT","x":1}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := tk.Parse(tt.give, Access); !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("Parse(%q) = %+v, %v; want ErrTokenInvalid", tt.give, got, err)
			}
		})
	}
	if n := tk.CachedTokens(); n != 1 {
		t.Errorf("CachedTokens() = %d, want 1: a forgery was cached", n)
	}
}

// TestVerifyCacheTokenType checks that the cache answers access tokens
// only: a cached access token is the wrong type for Parse(…, Refresh),
// and a refresh token is never cached.
func TestVerifyCacheTokenType(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	access, refresh := issue(t, tk, Access, 42), issue(t, tk, Refresh, 42)
	if _, err := tk.Parse(access, Access); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Parse(access, Refresh); !errors.Is(err, ErrWrongTokenType) {
		t.Errorf("Parse(cached access, refresh) = %v, want ErrWrongTokenType", err)
	}
	for _, want := range []TokenType{Refresh, Access, Refresh} {
		_, err := tk.Parse(refresh, want)
		if wantErr := map[TokenType]error{Refresh: nil, Access: ErrWrongTokenType}[want]; !errors.Is(err, wantErr) {
			t.Errorf("Parse(refresh, %s) = %v, want %v", want, err, wantErr)
		}
	}
	if n := tk.CachedTokens(); n != 1 {
		t.Errorf("CachedTokens() = %d, want 1 (the access token only)", n)
	}
	if _, err := tk.ParseUntyped(access); err != nil {
		t.Errorf("ParseUntyped(cached access) = %v", err)
	}
}

// TestVerifyCacheBound checks that the cache never holds more than its
// size, however many distinct tokens verify, and that every one of them
// is still accepted.
func TestVerifyCacheBound(t *testing.T) {
	tests := []struct {
		name     string
		giveSize int
		wantMax  int
	}{
		{name: "size 1", giveSize: 1, wantMax: 1},
		{name: "size 7", giveSize: 7, wantMax: 7},
		{name: "default", giveSize: 0, wantMax: DefaultVerifyCacheSize},
		{name: "off", giveSize: -1, wantMax: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), VerifyCacheSize: tt.giveSize})
			for i := range tt.wantMax + 10 {
				tok := issue(t, tk, Access, int64(i+1))
				if c, err := tk.Parse(tok, Access); err != nil || c.UserID != int64(i+1) {
					t.Fatalf("Parse(token %d) = %+v, %v", i, c, err)
				}
				if n := tk.CachedTokens(); n > tt.wantMax || n < 1 && tt.wantMax > 0 {
					t.Fatalf("after %d tokens CachedTokens() = %d, want 1 to %d", i+1, n, tt.wantMax)
				}
			}
		})
	}
}

// TestVerifyCacheBytes checks the bound on the bytes of cached tokens.
func TestVerifyCacheBytes(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret)})
	pad := strings.Repeat("x", DefaultMaxTokenSize/2)
	for i := range maxVerifiedBytes/len(pad) + 10 {
		tok, _, err := tk.IssueWith(Access, int64(i+1), map[string]any{"pad": pad})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Parse(tok, Access); err != nil {
			t.Fatal(err)
		}
	}
	tk.verified.mu.Lock()
	defer tk.verified.mu.Unlock()
	if tk.verified.bytes > maxVerifiedBytes {
		t.Errorf("cached tokens hold %d bytes, want at most %d", tk.verified.bytes, maxVerifiedBytes)
	}
}

// TestVerifyCacheConcurrent parses one shared token and tokens of each
// goroutine's own at once, in a cache small enough to be cleared while
// it is read; run under -race.
func TestVerifyCacheConcurrent(t *testing.T) {
	tk := newTestTokens(t, TokenConfig{Secret: []byte(testSecret), VerifyCacheSize: 8})
	shared := issue(t, tk, Access, 1000)
	const goroutines, tokensEach = 8, 6
	own := make([][]string, goroutines)
	for g := range own {
		for i := range tokensEach {
			own[g] = append(own[g], issue(t, tk, Access, int64(g*tokensEach+i+1)))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 50 {
				for i, tok := range append([]string{shared}, own[g]...) {
					want := int64(1000)
					if i > 0 {
						want = int64(g*tokensEach + i)
					}
					if c, err := tk.Parse(tok, Access); err != nil || c.UserID != want || c.payload != segment(tok, 1) {
						errs <- fmt.Errorf("goroutine %d round %d: Parse = %+v, %v; want user %d", g, round, c, err, want)
						return
					}
				}
				if n := tk.CachedTokens(); n > 8 {
					errs <- fmt.Errorf("CachedTokens() = %d, want at most 8", n)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestVerifyCacheDeactivatedUser checks that a cached token does not
// keep a deactivated user in: Authenticate refuses them once the user
// cache's TTL has passed, as without the token cache.
func TestVerifyCacheDeactivatedUser(t *testing.T) {
	ctx := context.Background()
	svc, store := newTestService(t, true)
	clock := onClock(svc, time.Second)
	u, access := userWithToken(t, svc, store, "dave")
	if _, _, err := svc.Authenticate(ctx, access); err != nil || svc.cfg.Tokens.CachedTokens() != 1 {
		t.Fatalf("Authenticate = %v with %d tokens cached, want nil and 1", err, svc.cfg.Tokens.CachedTokens())
	}
	if err := store.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		giveAt  time.Duration
		wantErr error
	}{
		{name: "within the user TTL", giveAt: 500 * time.Millisecond},
		{name: "after the user TTL", giveAt: time.Second, wantErr: ErrUserInactive},
		{name: "later still", giveAt: 2 * time.Second, wantErr: ErrUserInactive},
	}
	start := *clock
	for _, st := range steps {
		*clock = start.Add(st.giveAt)
		if _, _, err := svc.Authenticate(ctx, access); !errors.Is(err, st.wantErr) {
			t.Errorf("%s: Authenticate = %v, want %v", st.name, err, st.wantErr)
		}
	}
	if n := svc.cfg.Tokens.CachedTokens(); n != 1 {
		t.Errorf("CachedTokens() = %d, want 1: the refusals were of a cached token", n)
	}
}

func BenchmarkParseAccessCached(b *testing.B) {
	tk := newTestTokens(b, TokenConfig{Secret: []byte(testSecret)})
	tok := issue(b, tk, Access, 42)
	if _, err := tk.Parse(tok, Access); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Parse(tok, Access); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAccessCachedParallel is the hit with every P parsing,
// half of them one shared token and half one of their own.
func BenchmarkParseAccessCachedParallel(b *testing.B) {
	tk := newTestTokens(b, TokenConfig{Secret: []byte(testSecret)})
	shared := issue(b, tk, Access, 42)
	var mu sync.Mutex
	n := int64(0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		n++
		tok := shared
		if n%2 == 0 {
			tok = issue(b, tk, Access, n)
		}
		mu.Unlock()
		for pb.Next() {
			if _, err := tk.Parse(tok, Access); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAuthenticate is a request's authentication with its user
// cached, its token cached (the hit every request after a client's first
// makes) and, for comparison, verified each time with the cache off.
func BenchmarkAuthenticate(b *testing.B) {
	for _, bb := range []struct {
		name      string
		giveCache int
	}{
		{name: "token cached", giveCache: 0},
		{name: "token verified", giveCache: -1},
	} {
		b.Run(bb.name, func(b *testing.B) {
			ctx := context.Background()
			store := openTestStore(b, "")
			tokens, err := NewTokens(TokenConfig{Secret: []byte(testSecret), VerifyCacheSize: bb.giveCache})
			if err != nil {
				b.Fatal(err)
			}
			svc, err := NewService(ServiceConfig{Tokens: tokens, Store: store, Hasher: NewHasher(HasherConfig{Memory: 64, Iterations: 1}), UserCacheTTL: time.Minute}, zaptest.NewLogger(b))
			if err != nil {
				b.Fatal(err)
			}
			u, err := store.CreateUser(ctx, "bench", "!")
			if err != nil {
				b.Fatal(err)
			}
			access := issue(b, tokens, Access, u.ID)
			if _, _, err := svc.Authenticate(ctx, access); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := svc.Authenticate(ctx, access); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzVerifyCache checks the cache against Parse without it: for any
// string, parsed twice as an access token (the second time perhaps from
// the cache) and once as a refresh token, Tokens with the cache and
// Tokens without it give the same claims and the same error.
func FuzzVerifyCache(f *testing.F) {
	cached := newTestTokens(f, TokenConfig{Secret: []byte(testSecret)})
	uncached := newTestTokens(f, TokenConfig{Secret: []byte(testSecret), VerifyCacheSize: -1})
	access := issue(f, cached, Access, 42)
	for _, seed := range []string{
		access,
		access[:len(access)-1],
		access + "A",
		issue(f, cached, Refresh, 7),
		hs256(f, hsHeader, claimsJSON(f, "nbf", testNow.Add(time.Minute).Unix())),
		hs256(f, hsHeader, claimsJSON(f, "exp", testNow.Unix())),
		hs256(f, hsHeader, claimsJSON(f, "user_id", "42")),
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, give string) {
		for _, want := range []TokenType{Access, Access, Refresh} {
			got, gotErr := cached.Parse(give, want)
			wantClaims, wantErr := uncached.Parse(give, want)
			if got != wantClaims || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("Parse(%q, %s) = %+v, %v with the cache; want %+v, %v as without", give, want, got, gotErr, wantClaims, wantErr)
			}
		}
	})
}
