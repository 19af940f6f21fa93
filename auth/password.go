package auth

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// ErrBadHash is returned (wrapped) by [Hasher.Verify] for an encoded hash it
// cannot read: an unknown algorithm, a garbled field, or parameters out of
// the range drover accepts. Such a hash matches no password.
var ErrBadHash = errors.New("unreadable password hash")

// The defaults of [HasherConfig]: OWASP's minimum argon2id configuration
// (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1).
const (
	// DefaultArgon2Memory is the argon2id memory cost in KiB (19 MiB).
	DefaultArgon2Memory = 19456
	// DefaultArgon2Iterations is the argon2id time cost.
	DefaultArgon2Iterations = 2
	// DefaultArgon2Parallelism is the argon2id lanes.
	DefaultArgon2Parallelism = 1
)

// The shape of the hashes drover writes, Django's Argon2PasswordHasher's:
// argon2-cffi's 16-byte tag and a salt of 22 characters from [A-Za-z0-9]
// (Django's salt(): 128 bits of entropy rounded up to whole characters), so
// that a Django configured with the same costs takes drover's hashes as
// current and the reverse.
const (
	argon2KeyLen  = 16
	argon2SaltLen = 22
	saltChars     = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// The prefixes of the encoded hashes Verify reads, as Django writes them.
const (
	argon2Prefix     = "argon2$"
	pbkdf2Prefix     = "pbkdf2_sha256$"
	pbkdf2SHA1Prefix = "pbkdf2_sha1$"
	// unusablePrefix starts the password of a Django user with
	// set_unusable_password(): it never matches.
	unusablePrefix = "!"
)

// limits bounds the costs Verify accepts from an encoded hash, so that a
// garbled or hostile row cannot make a worker allocate gigabytes or spin
// for minutes. Hashes outside them are ErrBadHash.
type limits struct {
	argon2Memory     uint32 // KiB
	argon2Iterations uint32
	pbkdf2Iterations int
}

// defaultLimits are far above what Django or drover write: argon2 up to
// 1 GiB and 64 passes, PBKDF2 up to 10 million iterations (Django 5.2
// writes 1 million).
var defaultLimits = limits{
	argon2Memory:     1 << 20,
	argon2Iterations: 64,
	pbkdf2Iterations: 10_000_000,
}

// HasherConfig configures a [Hasher]. Zero values mean defaults, filled in
// by [NewHasher].
type HasherConfig struct {
	// Memory is the argon2id memory cost in KiB; 19456 (19 MiB) by default.
	// It is raised to 8 KiB per lane if lower, argon2's minimum.
	Memory uint32
	// Iterations is the argon2id time cost; 2 by default.
	Iterations uint32
	// Parallelism is the argon2id lanes; 1 by default.
	Parallelism uint8
	// MaxConcurrent bounds the hashes computed at once in this process,
	// or across every process of a host after [Hasher.Share] (each holds
	// Memory KiB); [DefaultMaxConcurrent] by default. Callers past the
	// bound wait, as long as their context allows.
	MaxConcurrent int
	// Observer, when set, is told how long each hash waited for a free
	// slot, for metrics; nil for none.
	Observer HashObserver
}

// HashObserver is told of the password-hash queue, for metrics. It is
// called on the request's goroutine: it must be cheap and safe for
// concurrent use.
type HashObserver interface {
	// ObserveHashWait is told how long a hash (or a verification)
	// waited for a free slot before its key derivation began.
	ObserveHashWait(d time.Duration)
}

// withDefaults returns c with every zero value replaced by its default:
// the one place defaults are filled in.
func (c HasherConfig) withDefaults() HasherConfig {
	if c.Memory == 0 {
		c.Memory = DefaultArgon2Memory
	}
	if c.Iterations == 0 {
		c.Iterations = DefaultArgon2Iterations
	}
	if c.Parallelism == 0 {
		c.Parallelism = DefaultArgon2Parallelism
	}
	if c.Memory < 8*uint32(c.Parallelism) {
		c.Memory = 8 * uint32(c.Parallelism)
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = DefaultMaxConcurrent()
	}
	return c
}

// DefaultMaxConcurrent is [HasherConfig.MaxConcurrent]'s default: half the
// CPUs, at least one, so that logins under load leave the other half to
// the requests that need no hash.
func DefaultMaxConcurrent() int { return max(1, runtime.NumCPU()/2) }

// Hasher hashes passwords with argon2id in Django's encoding and verifies
// drover's and Django's hashes. It bounds the hashes running at once, since
// each one holds its memory cost. It is safe for concurrent use.
type Hasher struct {
	cfg    HasherConfig
	params string // "m=…,t=…,p=…" as drover writes it
	sem    *semaphore.Weighted
	slots  *hashSlots // nil: no cross-process bound
	limits limits

	// inKDF, when set, runs while a key derivation holds the semaphore: a
	// test seam to observe concurrency.
	inKDF func()
}

// NewHasher returns a Hasher for cfg.
func NewHasher(cfg HasherConfig) *Hasher {
	cfg = cfg.withDefaults()
	return &Hasher{
		cfg:    cfg,
		params: fmt.Sprintf("m=%d,t=%d,p=%d", cfg.Memory, cfg.Iterations, cfg.Parallelism),
		sem:    semaphore.NewWeighted(int64(cfg.MaxConcurrent)),
		limits: defaultLimits,
	}
}

// Share bounds the hashes to MaxConcurrent across every process that
// shares dir (all the workers of a server), not only in this one, with one
// flock(2)ed file per slot in dir. Call it before use; Close releases it.
func (h *Hasher) Share(dir string) error {
	slots, err := openHashSlots(dir, h.cfg.MaxConcurrent)
	if err != nil {
		return err
	}
	h.slots = slots
	return nil
}

// Close releases what Share opened, if anything.
func (h *Hasher) Close() error {
	if h.slots == nil {
		return nil
	}
	return h.slots.Close()
}

// Hash returns the encoding of password with a new random salt, in
// Django's Argon2PasswordHasher format:
//
//	argon2$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in standard base64 without padding. It waits for a
// free slot (see [HasherConfig.MaxConcurrent]) unless ctx ends first.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := randomSalt()
	key, err := h.derive(ctx, func() ([]byte, error) {
		return argon2.IDKey([]byte(password), salt, h.cfg.Iterations, h.cfg.Memory, h.cfg.Parallelism, argon2KeyLen), nil
	})
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return argon2Prefix + "argon2id$v=19$" + h.params + "$" +
		base64.RawStdEncoding.EncodeToString(salt) + "$" +
		base64.RawStdEncoding.EncodeToString(key), nil
}

// Verify checks password against encoded, a hash drover or Django wrote:
// argon2 (argon2id, or argon2i from Django before 3.2), pbkdf2_sha256 and
// pbkdf2_sha1. Django's unusable passwords ("!…") match nothing and cost
// the time of a real check. rehash is true when password matched a hash that
// is not drover's current algorithm and costs, so the caller stores a new
// [Hasher.Hash] after a successful login; it is never true when ok is
// false. An unreadable hash is an error wrapping [ErrBadHash]; a context
// that ends while waiting for a slot returns its error.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	c, err := h.parse(encoded)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	got, err := h.derive(ctx, func() ([]byte, error) { return c.kdf(password) })
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	if c.want == nil || subtle.ConstantTimeCompare(got, c.want) != 1 {
		return false, false, nil
	}
	return true, !c.current, nil
}

// VerifyDummy spends the time and memory of a Verify against a current
// hash and matches nothing: for an unknown user, so that the response takes
// as long as for a wrong password. It returns early only if ctx ends while
// waiting for a slot.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) {
	_, _ = h.derive(ctx, func() ([]byte, error) { return h.dummyKDF(password) }) // only ctx's error: the caller refuses anyway
}

// dummySalt is the fixed salt of the dummy checks: no secret, never stored.
var dummySalt = []byte("drover-dummy-salt-0000")

// dummyKDF is the key derivation of a current hash, with dummySalt.
func (h *Hasher) dummyKDF(password string) ([]byte, error) {
	return argon2.IDKey([]byte(password), dummySalt, h.cfg.Iterations, h.cfg.Memory, h.cfg.Parallelism, argon2KeyLen), nil
}

// check is what verifying a password against one encoded hash takes.
type check struct {
	kdf     func(password string) ([]byte, error)
	want    []byte // the key a matching password derives; nil matches nothing
	current bool   // drover's algorithm and costs: a match needs no re-hash
	lanes   int    // goroutines the kdf runs on: argon2's parallelism, else 1
}

// parse reads encoded into its check, or returns an error wrapping
// ErrBadHash.
func (h *Hasher) parse(encoded string) (check, error) {
	switch {
	case strings.HasPrefix(encoded, argon2Prefix):
		a, err := h.parseArgon2(encoded)
		if err != nil {
			return check{}, fmt.Errorf("%w: argon2: %w", ErrBadHash, err)
		}
		kdf := argon2.IDKey
		if a.variant == "argon2i" {
			kdf = argon2.Key
		}
		return check{
			kdf: func(password string) ([]byte, error) {
				return kdf([]byte(password), a.salt, a.time, a.memory, a.threads, uint32(len(a.key))), nil
			},
			want:    a.key,
			current: a.current && len(a.key) == argon2KeyLen,
			lanes:   int(a.threads),
		}, nil
	case strings.HasPrefix(encoded, pbkdf2Prefix):
		return h.parsePBKDF2(encoded, pbkdf2Prefix, sha256.New)
	case strings.HasPrefix(encoded, pbkdf2SHA1Prefix):
		return h.parsePBKDF2(encoded, pbkdf2SHA1Prefix, sha1.New)
	case strings.HasPrefix(encoded, unusablePrefix):
		return check{kdf: h.dummyKDF}, nil
	}
	return check{}, fmt.Errorf("%w: unknown algorithm", ErrBadHash)
}

// Readable returns nil when Verify can check passwords against encoded
// (argon2, pbkdf2_sha256, pbkdf2_sha1, or Django's unusable password,
// which matches none), else an error wrapping ErrBadHash that says why.
// It derives nothing: a check of hashes carried over from Django.
func (h *Hasher) Readable(encoded string) error {
	_, err := h.parse(encoded)
	return err
}

// dummyFor returns a hash of the scheme of encoded (its algorithm and
// costs, what [Store.PasswordSchemes] returns: a hash cut before its salt
// will do) with a fixed salt and a key no password derives, and the
// scheme's name, "pbkdf2_sha256$260000" or
// "argon2$argon2id$v=19$m=19456,t=2,p=1". Verifying a password against it
// costs what verifying one against a hash of that scheme costs. ok is
// false for a scheme Verify cannot read.
func (h *Hasher) dummyFor(encoded string) (dummy, scheme string, ok bool) {
	f := strings.Split(encoded, "$")
	switch {
	case strings.HasPrefix(encoded, argon2Prefix) && len(f) >= 4:
		scheme = strings.Join(f[:4], "$")
		dummy = scheme + "$" + base64.RawStdEncoding.EncodeToString(dummySalt) +
			"$" + base64.RawStdEncoding.EncodeToString(make([]byte, argon2KeyLen))
	case strings.HasPrefix(encoded, pbkdf2Prefix) && len(f) >= 2:
		scheme = strings.Join(f[:2], "$")
		dummy = scheme + "$" + string(dummySalt) + "$" + base64.StdEncoding.EncodeToString(make([]byte, sha256.Size))
	case strings.HasPrefix(encoded, pbkdf2SHA1Prefix) && len(f) >= 2:
		scheme = strings.Join(f[:2], "$")
		dummy = scheme + "$" + string(dummySalt) + "$" + base64.StdEncoding.EncodeToString(make([]byte, sha1.Size))
	default:
		return "", "", false
	}
	if _, err := h.parse(dummy); err != nil {
		return "", "", false
	}
	return dummy, scheme, true
}

// current is the scheme of the hashes Hash writes, as dummyFor names it.
func (h *Hasher) current() string { return argon2Prefix + "argon2id$v=19$" + h.params }

// cost measures one check of a password against encoded: the key
// derivation alone, not the wait for a slot.
func (h *Hasher) cost(ctx context.Context, encoded string) (time.Duration, error) {
	c, err := h.parse(encoded)
	if err != nil {
		return 0, err
	}
	var took time.Duration
	_, err = h.derive(ctx, func() ([]byte, error) {
		if c.lanes <= 1 {
			// One thread does all the work: its CPU time is the cost, and
			// load (other processes, this worker's other requests) does
			// not change it as it changes the wall time, which ranked
			// argon2id above a costlier pbkdf2_sha256 on a busy machine.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if start, ok := threadCPU(); ok {
				defer func() {
					end, _ := threadCPU()
					took = end - start
				}()
				return c.kdf("")
			}
		}
		start := time.Now()
		defer func() { took = time.Since(start) }()
		return c.kdf("")
	})
	return took, err
}

// derive runs kdf once a slot is free, or returns ctx's error.
func (h *Hasher) derive(ctx context.Context, kdf func() ([]byte, error)) ([]byte, error) {
	var queued time.Time
	if h.cfg.Observer != nil {
		queued = time.Now()
	}
	if err := h.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer h.sem.Release(1)
	if h.slots != nil {
		release, err := h.slots.acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	if h.cfg.Observer != nil {
		h.cfg.Observer.ObserveHashWait(time.Since(queued))
	}
	if h.inKDF != nil {
		h.inKDF()
	}
	return kdf()
}

// argon2Hash is an argon2 hash as Django encodes it: "argon2" followed by
// argon2's own (PHC) string "$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>".
type argon2Hash struct {
	variant      string // "argon2id" or "argon2i"
	memory, time uint32
	threads      uint8
	salt, key    []byte
	current      bool // argon2id with drover's costs
}

// parseArgon2 reads encoded, which starts with argon2Prefix.
func (h *Hasher) parseArgon2(encoded string) (argon2Hash, error) {
	// "argon2", variant, version, params, salt, hash
	f := strings.Split(encoded, "$")
	if len(f) != 6 {
		return argon2Hash{}, errors.New("want argon2$<variant>$v=19$m=…,t=…,p=…$<salt>$<hash>")
	}
	a := argon2Hash{variant: f[1]}
	if a.variant != "argon2id" && a.variant != "argon2i" {
		return argon2Hash{}, fmt.Errorf("variant %.20q: want argon2id or argon2i", a.variant)
	}
	if f[2] != "v=19" {
		return argon2Hash{}, fmt.Errorf("version %.20q: want v=19", f[2])
	}
	m, t, p, err := parseArgon2Params(f[3])
	if err != nil {
		return argon2Hash{}, err
	}
	switch {
	case p < 1 || p > 255:
		return argon2Hash{}, fmt.Errorf("parallelism %d out of range 1-255", p)
	case m < 8*p || m > uint64(h.limits.argon2Memory):
		return argon2Hash{}, fmt.Errorf("memory %d KiB out of range %d-%d", m, 8*p, h.limits.argon2Memory)
	case t < 1 || t > uint64(h.limits.argon2Iterations):
		return argon2Hash{}, fmt.Errorf("iterations %d out of range 1-%d", t, h.limits.argon2Iterations)
	}
	a.memory, a.time, a.threads = uint32(m), uint32(t), uint8(p)
	a.current = a.variant == "argon2id" && f[3] == h.params
	if a.salt, err = base64.RawStdEncoding.Strict().DecodeString(f[4]); err != nil || len(a.salt) < 8 || len(a.salt) > 1024 {
		return argon2Hash{}, errors.New("salt: want 8 to 1024 bytes in unpadded base64")
	}
	if a.key, err = base64.RawStdEncoding.Strict().DecodeString(f[5]); err != nil || len(a.key) < 4 || len(a.key) > 1024 {
		return argon2Hash{}, errors.New("hash: want 4 to 1024 bytes in unpadded base64")
	}
	return a, nil
}

// parsePBKDF2 reads Django's "<algorithm>$<iterations>$<salt>$<hash>":
// PBKDF2-HMAC with the UTF-8 bytes of the salt text, a key the size of the
// digest, in padded standard base64. Like Django, which re-encodes and
// compares the whole string, it takes only canonical encodings.
func (h *Hasher) parsePBKDF2(encoded, prefix string, digest func() hash.Hash) (check, error) {
	name := strings.TrimSuffix(prefix, "$")
	bad := func(why string) (check, error) {
		return check{}, fmt.Errorf("%w: %s: %s", ErrBadHash, name, why)
	}
	f := strings.Split(encoded[len(prefix):], "$")
	if len(f) != 3 {
		return bad("want " + name + "$<iterations>$<salt>$<hash>")
	}
	iter, err := strconv.Atoi(f[0])
	if err != nil || strconv.Itoa(iter) != f[0] || iter < 1 || iter > h.limits.pbkdf2Iterations {
		return bad(fmt.Sprintf("iterations %.20q: want 1 to %d", f[0], h.limits.pbkdf2Iterations))
	}
	salt := f[1]
	if salt == "" {
		return bad("empty salt")
	}
	want, err := base64.StdEncoding.Strict().DecodeString(f[2])
	if err != nil || len(want) != digest().Size() {
		return bad(fmt.Sprintf("hash: want %d bytes in padded base64", digest().Size()))
	}
	return check{
		kdf: func(password string) ([]byte, error) {
			return pbkdf2.Key(digest, password, []byte(salt), iter, len(want))
		},
		want: want,
	}, nil
}

// parseArgon2Params reads "m=<memory>,t=<time>,p=<lanes>", decimal
// without sign or leading zeros, in that order, as argon2 writes them.
func parseArgon2Params(s string) (m, t, p uint64, err error) {
	bad := fmt.Errorf("parameters %.40q: want m=…,t=…,p=…", s)
	kv := strings.Split(s, ",")
	if len(kv) != 3 {
		return 0, 0, 0, bad
	}
	var v [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, found := strings.CutPrefix(kv[i], name)
		n, err := strconv.ParseUint(digits, 10, 32)
		if !found || err != nil || strconv.FormatUint(n, 10) != digits {
			return 0, 0, 0, bad
		}
		v[i] = n
	}
	return v[0], v[1], v[2], nil
}

// randomSalt returns a Django-shaped salt: argon2SaltLen characters drawn
// uniformly from saltChars.
func randomSalt() []byte {
	salt := make([]byte, 0, argon2SaltLen)
	var buf [64]byte
	for len(salt) < argon2SaltLen {
		_, _ = rand.Read(buf[:]) // never fails: crypto/rand crashes the program instead
		for _, b := range buf {
			// 62 characters: reject 62 and 63 so every one is equally likely.
			if c := b & 63; c < byte(len(saltChars)) && len(salt) < argon2SaltLen {
				salt = append(salt, saltChars[c])
			}
		}
	}
	return salt
}
