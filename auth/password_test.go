package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"
)

// cheapHasher hashes with the lowest costs argon2 allows, for tests that
// are about something other than the cost.
func cheapHasher(maxConcurrent int) *Hasher {
	return NewHasher(HasherConfig{Memory: 64, Iterations: 1, Parallelism: 1, MaxConcurrent: maxConcurrent})
}

// Hashes made by real Django 3.2.25 (Debian's python3-django) with
// argon2-cffi 21.1.0 (python3-argon2), with make_password or the hasher's
// encode(): fixed vectors, so this test needs no Python.
const (
	// make_password('s3cret', hasher='pbkdf2_sha256')
	djangoPBKDF2 = "pbkdf2_sha256$260000$pK2un5gKVkDOtYUZe9s0Dd$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="
	// make_password('pässwörd✓', hasher='pbkdf2_sha256')
	djangoPBKDF2Unicode = "pbkdf2_sha256$260000$cXVVjLFSOowWfoOipVKnnR$LcD0bqDcaQ8ToV9GsV7gwWFMBKS+aGIShRIa0dNgSMk="
	// make_password('', hasher='pbkdf2_sha256')
	djangoPBKDF2Empty = "pbkdf2_sha256$260000$7mnK1l6KFfTxe06VlufbDr$09qt/iCNIH3eui5jhf1r6ghY8xypds2PZibZrvLy+oQ="
	// make_password('s3cret', hasher='pbkdf2_sha1')
	djangoPBKDF2SHA1 = "pbkdf2_sha1$260000$Gq9kIJ6QiEPID5fl8syPcp$8eyut4GAuWbCd2Aa5GazYbJZvtI="
	// make_password('s3cret', hasher='argon2'): Django's costs, m=100 MiB, t=2, p=8
	djangoArgon2 = "argon2$argon2id$v=19$m=102400,t=2,p=8$QU1sZ2dzaThLVWtNYmxrODgwS05xMA$+9cBZ2rMZHb94JV+ZbkK2A"
	// Argon2PasswordHasher with memory_cost=19456, parallelism=1: drover's costs
	djangoArgon2DroverCosts = "argon2$argon2id$v=19$m=19456,t=2,p=1$VFFWMm94S0ZKbkljTjF0RGZtaTljQQ$xdO3mArhrbTdrNO9F4dPVg"
	// Argon2PasswordHasher with type argon2i, m=512, t=2, p=2 (Django < 3.2 wrote argon2i)
	djangoArgon2i = "argon2$argon2i$v=19$m=512,t=2,p=2$Q1huSVl5NkJ3V1l2QTkwUGE5NmU3bQ$FUeOKzeXruUOtHeC91qSyg"
)

// cheapPBKDF2 is a well-formed pbkdf2_sha256 hash of 1 iteration that
// matches no password seen in these tests.
const cheapPBKDF2 = "pbkdf2_sha256$1$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="

func TestHashRoundTrip(t *testing.T) {
	h := NewHasher(HasherConfig{})
	ctx := context.Background()
	tests := []struct {
		name     string
		password string
	}{
		{name: "ascii", password: "s3cret"},
		{name: "empty", password: ""},
		{name: "unicode", password: "pässwörd✓"},
		{name: "long", password: strings.Repeat("x", 4096)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := h.Hash(ctx, tt.password)
			if err != nil {
				t.Fatalf("Hash(%q) error = %v", tt.password, err)
			}
			ok, rehash, err := h.Verify(ctx, encoded, tt.password)
			if !ok || rehash || err != nil {
				t.Errorf("Verify(%q, right password) = %t, %t, %v, want true, false, nil", encoded, ok, rehash, err)
			}
			ok, rehash, err = h.Verify(ctx, encoded, tt.password+"!")
			if ok || rehash || err != nil {
				t.Errorf("Verify(%q, wrong password) = %t, %t, %v, want false, false, nil", encoded, ok, rehash, err)
			}
		})
	}
}

// TestHashFormat checks the shape of drover's hashes: Django's
// Argon2PasswordHasher's, field by field.
func TestHashFormat(t *testing.T) {
	h := NewHasher(HasherConfig{})
	a, err := h.Hash(context.Background(), "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(context.Background(), "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal (%q): salt not random", a)
	}
	re := regexp.MustCompile(`^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)
	m := re.FindStringSubmatch(a)
	if m == nil {
		t.Fatalf("Hash() = %q, want it to match %s", a, re)
	}
	salt, err := base64.RawStdEncoding.DecodeString(m[1])
	if err != nil || !regexp.MustCompile(`^[A-Za-z0-9]{22}$`).Match(salt) {
		t.Errorf("salt %q decodes to %q, %v; want 22 characters of [A-Za-z0-9], as Django's salt()", m[1], salt, err)
	}
	if key, err := base64.RawStdEncoding.DecodeString(m[2]); err != nil || len(key) != 16 {
		t.Errorf("hash %q decodes to %d bytes, %v; want 16, argon2-cffi's hash_len", m[2], len(key), err)
	}
	if len(a) >= 128 {
		t.Errorf("len(Hash()) = %d, want < 128 (Django's password column)", len(a))
	}
}

func TestHasherDefaults(t *testing.T) {
	tests := []struct {
		name       string
		give       HasherConfig
		wantParams string
		wantMax    int
	}{
		{name: "zero", give: HasherConfig{}, wantParams: "m=19456,t=2,p=1", wantMax: DefaultMaxConcurrent()},
		{name: "set", give: HasherConfig{Memory: 65536, Iterations: 3, Parallelism: 4, MaxConcurrent: 7}, wantParams: "m=65536,t=3,p=4", wantMax: 7},
		{name: "memory below 8 KiB per lane", give: HasherConfig{Memory: 16, Parallelism: 4}, wantParams: "m=32,t=2,p=4", wantMax: DefaultMaxConcurrent()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHasher(tt.give)
			if h.params != tt.wantParams || h.cfg.MaxConcurrent != tt.wantMax {
				t.Errorf("NewHasher(%+v) params %q, max %d; want %q, %d", tt.give, h.params, h.cfg.MaxConcurrent, tt.wantParams, tt.wantMax)
			}
		})
	}
}

// TestVerifyDjangoVectors verifies hashes real Django wrote.
func TestVerifyDjangoVectors(t *testing.T) {
	h := NewHasher(HasherConfig{})
	tests := []struct {
		name         string
		giveEncoded  string
		givePassword string
		wantOK       bool
		wantRehash   bool
	}{
		{name: "pbkdf2_sha256", giveEncoded: djangoPBKDF2, givePassword: "s3cret", wantOK: true, wantRehash: true},
		{name: "pbkdf2_sha256 wrong password", giveEncoded: djangoPBKDF2, givePassword: "S3cret"},
		{name: "pbkdf2_sha256 unicode", giveEncoded: djangoPBKDF2Unicode, givePassword: "pässwörd✓", wantOK: true, wantRehash: true},
		{name: "pbkdf2_sha256 unicode, other normalization", giveEncoded: djangoPBKDF2Unicode, givePassword: "pa\u0308sswo\u0308rd✓"},
		{name: "pbkdf2_sha256 empty password", giveEncoded: djangoPBKDF2Empty, givePassword: "", wantOK: true, wantRehash: true},
		{name: "pbkdf2_sha1", giveEncoded: djangoPBKDF2SHA1, givePassword: "s3cret", wantOK: true, wantRehash: true},
		{name: "pbkdf2_sha1 wrong password", giveEncoded: djangoPBKDF2SHA1, givePassword: "s3cre"},
		{name: "argon2 Django costs", giveEncoded: djangoArgon2, givePassword: "s3cret", wantOK: true, wantRehash: true},
		{name: "argon2 Django costs wrong password", giveEncoded: djangoArgon2, givePassword: "s3cret\x00"},
		{name: "argon2 drover costs", giveEncoded: djangoArgon2DroverCosts, givePassword: "s3cret", wantOK: true, wantRehash: false},
		{name: "argon2 drover costs wrong password", giveEncoded: djangoArgon2DroverCosts, givePassword: "secret"},
		{name: "argon2i", giveEncoded: djangoArgon2i, givePassword: "s3cret", wantOK: true, wantRehash: true},
		{name: "argon2i wrong password", giveEncoded: djangoArgon2i, givePassword: ""},
		{name: "unusable password", giveEncoded: "!" + strings.Repeat("x", 40), givePassword: "s3cret"},
		{name: "unusable password, empty", giveEncoded: "!", givePassword: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.giveEncoded, tt.givePassword)
			if ok != tt.wantOK || rehash != tt.wantRehash || err != nil {
				t.Errorf("Verify(%q, %q) = %t, %t, %v; want %t, %t, nil", tt.giveEncoded, tt.givePassword, ok, rehash, err, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

// TestVerifyRehash checks that every departure from drover's current
// algorithm and costs asks for a re-hash, and only after a match.
func TestVerifyRehash(t *testing.T) {
	ctx := context.Background()
	current := cheapHasher(1)
	other, err := NewHasher(HasherConfig{Memory: 128, Iterations: 1, Parallelism: 1}).Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := current.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	longTag := mustArgon2(t, mine, "pw", 32)
	tests := []struct {
		name        string
		giveEncoded string
		wantRehash  bool
	}{
		{name: "current", giveEncoded: mine, wantRehash: false},
		{name: "other memory", giveEncoded: other, wantRehash: true},
		{name: "32-byte tag", giveEncoded: longTag, wantRehash: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := current.Verify(ctx, tt.giveEncoded, "pw")
			if !ok || rehash != tt.wantRehash || err != nil {
				t.Errorf("Verify(%q) = %t, %t, %v; want true, %t, nil", tt.giveEncoded, ok, rehash, err, tt.wantRehash)
			}
			ok, rehash, err = current.Verify(ctx, tt.giveEncoded, "wrong")
			if ok || rehash || err != nil {
				t.Errorf("Verify(%q, wrong) = %t, %t, %v; want false, false, nil", tt.giveEncoded, ok, rehash, err)
			}
		})
	}
}

// mustArgon2 re-encodes the argon2 hash encoded of password with a tag of
// keyLen bytes, same salt and costs.
func mustArgon2(t *testing.T, encoded, password string, keyLen uint32) string {
	t.Helper()
	h := cheapHasher(1)
	a, err := h.parseArgon2(encoded)
	if err != nil {
		t.Fatal(err)
	}
	key, err := h.derive(context.Background(), func() ([]byte, error) {
		return argon2.IDKey([]byte(password), a.salt, a.time, a.memory, a.threads, keyLen), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(encoded, '$')
	return encoded[:i+1] + base64.RawStdEncoding.EncodeToString(key)
}

func TestVerifyBadHash(t *testing.T) {
	h := cheapHasher(1)
	const salt, tag = "c2FsdHNhbHRzYWx0", "aGFzaGhhc2hoYXNoaGFzaA" // 12 and 16 bytes
	tests := []struct {
		name        string
		giveEncoded string
	}{
		{name: "empty", giveEncoded: ""},
		{name: "unknown algorithm", giveEncoded: "md5$salt$0123456789abcdef0123456789abcdef"},
		{name: "bcrypt_sha256", giveEncoded: "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuu"},
		{name: "bare PHC string", giveEncoded: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 too few fields", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{name: "argon2 too many fields", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + tag + "$"},
		{name: "argon2 PHC string after the prefix", giveEncoded: "argon2$$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2d", giveEncoded: "argon2$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 v=16", giveEncoded: "argon2$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 no version (v1.2)", giveEncoded: "argon2$argon2i$m=64,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 params out of order", giveEncoded: "argon2$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + tag},
		{name: "argon2 param leading zero", giveEncoded: "argon2$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 param sign", giveEncoded: "argon2$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 param overflow", giveEncoded: "argon2$argon2id$v=19$m=99999999999999999999,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 p=0", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + tag},
		{name: "argon2 p=256", giveEncoded: "argon2$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + tag},
		{name: "argon2 t=0", giveEncoded: "argon2$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + tag},
		{name: "argon2 t over limit", giveEncoded: "argon2$argon2id$v=19$m=64,t=65,p=1$" + salt + "$" + tag},
		{name: "argon2 m below 8p", giveEncoded: "argon2$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + tag},
		{name: "argon2 m over limit", giveEncoded: "argon2$argon2id$v=19$m=1048577,t=1,p=1$" + salt + "$" + tag},
		{name: "argon2 salt not base64", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=1$c2Fsd!Nhb$" + tag},
		{name: "argon2 salt padded", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbA==$" + tag},
		{name: "argon2 salt short", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + tag},
		{name: "argon2 hash empty", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{name: "argon2 hash short", giveEncoded: "argon2$argon2id$v=19$m=64,t=1,p=1$" + salt + "$aGFz"},
		{name: "pbkdf2 too few fields", giveEncoded: "pbkdf2_sha256$260000$salt"},
		{name: "pbkdf2 too many fields", giveEncoded: djangoPBKDF2 + "$x"},
		{name: "pbkdf2 iterations zero", giveEncoded: "pbkdf2_sha256$0$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="},
		{name: "pbkdf2 iterations negative", giveEncoded: "pbkdf2_sha256$-1$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="},
		{name: "pbkdf2 iterations leading zero", giveEncoded: "pbkdf2_sha256$0260000$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="},
		{name: "pbkdf2 iterations over limit", giveEncoded: "pbkdf2_sha256$10000001$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="},
		{name: "pbkdf2 iterations not a number", giveEncoded: "pbkdf2_sha256$many$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="},
		{name: "pbkdf2 empty salt", giveEncoded: "pbkdf2_sha256$1000$$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="},
		{name: "pbkdf2 hash unpadded", giveEncoded: "pbkdf2_sha256$1000$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo"},
		{name: "pbkdf2 hash wrong size", giveEncoded: "pbkdf2_sha256$1000$salt$8eyut4GAuWbCd2Aa5GazYbJZvtI="},
		{name: "pbkdf2_sha1 hash wrong size", giveEncoded: "pbkdf2_sha1$1000$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.giveEncoded, "s3cret")
			if ok || rehash || !errors.Is(err, ErrBadHash) {
				t.Errorf("Verify(%q) = %t, %t, %v; want false, false, ErrBadHash", tt.giveEncoded, ok, rehash, err)
			}
		})
	}
}

// TestHasherConcurrencyBound runs more hashes than MaxConcurrent at once
// and checks that the slots are full while the others wait, and that at no
// time more than MaxConcurrent derive a key.
func TestHasherConcurrencyBound(t *testing.T) {
	const maxConcurrent, callers = 2, 8
	h := cheapHasher(maxConcurrent)
	var running, peak atomic.Int32
	entered := make(chan struct{}, callers)
	release := make(chan struct{})
	h.inKDF = func() {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		entered <- struct{}{}
		<-release
		running.Add(-1)
	}

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = h.Hash(ctx, "pw")
			case 1:
				_, _, err = h.Verify(ctx, cheapPBKDF2, "pw")
			default:
				h.VerifyDummy(ctx, "pw")
			}
			errs <- err
		})
	}
	for range maxConcurrent {
		<-entered
	}
	if h.sem.TryAcquire(1) {
		t.Fatalf("a slot is free while %d hashes run: MaxConcurrent=%d not enforced", maxConcurrent, maxConcurrent)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(entered) + maxConcurrent; got != callers {
		t.Errorf("%d key derivations ran, want %d", got, callers)
	}
	if p := peak.Load(); p > maxConcurrent {
		t.Errorf("%d key derivations ran at once, want at most %d", p, maxConcurrent)
	}
}

// TestHasherContext checks that a caller waiting for a slot gives up when
// its context ends.
func TestHasherContext(t *testing.T) {
	h := cheapHasher(1)
	entered, release := make(chan struct{}), make(chan struct{})
	h.inKDF = func() {
		entered <- struct{}{}
		<-release
	}
	done := make(chan error)
	go func() {
		_, err := h.Hash(context.Background(), "holder")
		done <- err
	}()
	<-entered // the one slot is taken

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		call func() error
	}{
		{name: "Hash", call: func() error { _, err := h.Hash(ctx, "pw"); return err }},
		{name: "Verify argon2", call: func() error { _, _, err := h.Verify(ctx, djangoArgon2i, "pw"); return err }},
		{name: "Verify pbkdf2", call: func() error { _, _, err := h.Verify(ctx, cheapPBKDF2, "pw"); return err }},
		{name: "Verify unusable", call: func() error { _, _, err := h.Verify(ctx, "!x", "pw"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context, all slots taken = %v, want context.Canceled", tt.name, err)
			}
		})
	}
	h.VerifyDummy(ctx, "pw") // returns, does not wait for the slot

	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestVerifyDummy checks that VerifyDummy derives one key at the current
// costs, the work of a Verify of a current hash.
func TestVerifyDummy(t *testing.T) {
	h := cheapHasher(1)
	var calls atomic.Int32
	h.inKDF = func() { calls.Add(1) }
	h.VerifyDummy(context.Background(), "pw")
	if n := calls.Load(); n != 1 {
		t.Errorf("VerifyDummy derived %d keys, want 1", n)
	}
}

// FuzzVerifyPassword feeds Verify arbitrary encoded hashes: it must never
// panic, and its results must be consistent. Costs are capped low so that
// every input runs fast.
func FuzzVerifyPassword(f *testing.F) {
	for _, s := range []string{
		djangoPBKDF2, djangoPBKDF2SHA1, djangoArgon2, djangoArgon2i, djangoArgon2DroverCosts,
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"argon2$argon2i$v=19$m=16,t=1,p=2$c2FsdHNhbHRzYWx0$aGFzaA",
		cheapPBKDF2,
		"pbkdf2_sha1$2$s$8eyut4GAuWbCd2Aa5GazYbJZvtI=",
		"!", "", "$", "$$$$$$", "argon2$", "pbkdf2_sha256$$$",
	} {
		f.Add(s, "s3cret")
	}
	h := cheapHasher(1)
	h.limits = limits{argon2Memory: 256, argon2Iterations: 2, pbkdf2Iterations: 1000}
	f.Fuzz(func(t *testing.T, encoded, password string) {
		ok, rehash, err := h.Verify(context.Background(), encoded, password)
		if err != nil && (ok || rehash) {
			t.Errorf("Verify(%q) = %t, %t, %v: a match with an error", encoded, ok, rehash, err)
		}
		if rehash && !ok {
			t.Errorf("Verify(%q) = %t, %t, %v: rehash without a match", encoded, ok, rehash, err)
		}
		if err != nil && !errors.Is(err, ErrBadHash) {
			t.Errorf("Verify(%q) error %v, want ErrBadHash", encoded, err)
		}
	})
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(HasherConfig{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "s3cret"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPBKDF2(b *testing.B) {
	h := NewHasher(HasherConfig{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, djangoPBKDF2, "s3cret"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// TestDummyFor builds the dummy hash of each scheme: Verify reads it, no
// password matches it, and it is named by its algorithm and costs alone.
func TestDummyFor(t *testing.T) {
	h := cheapHasher(1)
	tests := []struct {
		name       string
		give       string
		wantScheme string // "" for a scheme Verify cannot read
	}{
		{name: "pbkdf2_sha256 hash", give: djangoPBKDF2, wantScheme: "pbkdf2_sha256$260000"},
		{name: "pbkdf2_sha256 scheme", give: "pbkdf2_sha256$260000$", wantScheme: "pbkdf2_sha256$260000"},
		{name: "pbkdf2_sha256 scheme without the dollar", give: "pbkdf2_sha256$1000000", wantScheme: "pbkdf2_sha256$1000000"},
		{name: "pbkdf2_sha1", give: djangoPBKDF2SHA1, wantScheme: "pbkdf2_sha1$260000"},
		{name: "argon2id", give: djangoArgon2, wantScheme: "argon2$argon2id$v=19$m=102400,t=2,p=8"},
		{name: "argon2i scheme", give: "argon2$argon2i$v=19$m=512,t=2,p=2$", wantScheme: "argon2$argon2i$v=19$m=512,t=2,p=2"},
		{name: "drover's current", give: h.current(), wantScheme: "argon2$argon2id$v=19$m=64,t=1,p=1"},
		{name: "pbkdf2 over the limits", give: "pbkdf2_sha256$20000000$"},
		{name: "argon2 over the limits", give: "argon2$argon2id$v=19$m=4194304,t=2,p=1$"},
		{name: "pbkdf2 without iterations", give: "pbkdf2_sha256$"},
		{name: "argon2 cut short", give: "argon2$argon2id$v=19$"},
		{name: "unusable", give: "!"},
		{name: "unknown algorithm", give: "bcrypt_sha256$$2b$12$"},
		{name: "empty", give: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dummy, scheme, ok := h.dummyFor(tt.give)
			if scheme != tt.wantScheme || ok != (tt.wantScheme != "") {
				t.Fatalf("dummyFor(%q) = %q, %q, %t; want scheme %q", tt.give, dummy, scheme, ok, tt.wantScheme)
			}
			if !ok {
				return
			}
			for _, password := range []string{"", "s3cret", "password"} {
				if match, _, err := h.Verify(context.Background(), dummy, password); match || err != nil {
					t.Errorf("Verify(%q, %q) = %t, %v; want no match and no error", dummy, password, match, err)
				}
			}
			if again, _, _ := h.dummyFor(dummy); again != dummy {
				t.Errorf("dummyFor(its own dummy %q) = %q, want the same", dummy, again)
			}
		})
	}
}

// TestHasherCost checks that cost measures the key derivation: a scheme
// with a hundred times the iterations costs more.
func TestHasherCost(t *testing.T) {
	h := cheapHasher(1)
	ctx := context.Background()
	cheap, _, _ := h.dummyFor("pbkdf2_sha256$1000$")
	dear, _, _ := h.dummyFor("pbkdf2_sha256$100000$")
	c1, err1 := h.cost(ctx, cheap)
	c2, err2 := h.cost(ctx, dear)
	if err1 != nil || err2 != nil || c1 <= 0 || c2 <= c1 {
		t.Errorf("cost(1000 iterations) = %v, %v; cost(100000 iterations) = %v, %v; want 0 < the first < the second", c1, err1, c2, err2)
	}
	if _, err := h.cost(ctx, "pbkdf2_sha256$"); !errors.Is(err, ErrBadHash) {
		t.Errorf("cost(unreadable) = %v, want ErrBadHash", err)
	}
}
