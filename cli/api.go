package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/api"
	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/statedir"
)

func newHasher(cfg config.Config) *auth.Hasher {
	return newObservedHasher(cfg, nil)
}

// newObservedHasher is newHasher telling obs of its queue; nil for none.
func newObservedHasher(cfg config.Config, obs auth.HashObserver) *auth.Hasher {
	a := cfg.Auth
	return auth.NewHasher(auth.HasherConfig{
		Memory:        uint32(a.Argon2Memory >> 10),
		Iterations:    uint32(a.Argon2Iterations),
		Parallelism:   uint8(a.Argon2Parallelism),
		MaxConcurrent: a.MaxConcurrentHashes,
		Observer:      obs,
	})
}

// authObserver is told of the token service's outcomes and of its
// password-hash queue, for metrics (a worker's worker.Metrics).
type authObserver interface {
	auth.ServiceObserver
	auth.HashObserver
}

// newTokens builds cfg's token signer from the keys LoadKeys read: the
// signing key, and the previous keys of a rotation, which only verify.
func newTokens(cfg config.Config) (*auth.Tokens, error) {
	a := cfg.Auth
	var previous [][]byte
	if a.Keys.PreviousSecret != nil {
		previous = [][]byte{a.Keys.PreviousSecret}
	}
	verify := make([][]byte, len(a.Keys.VerifyKeys))
	for i, k := range a.Keys.VerifyKeys {
		verify[i] = k
	}
	return auth.NewTokens(auth.TokenConfig{
		Algorithm:       a.Algorithm,
		Secret:          a.Keys.Secret,
		PreviousSecrets: previous,
		PrivateKeyPEM:   a.Keys.PrivateKey,
		PublicKeyPEM:    a.Keys.PublicKey,
		VerifyKeysPEM:   verify,
		AccessLifetime:  a.AccessLifetime,
		RefreshLifetime: a.RefreshLifetime,
		Audience:        a.Audience,
		Issuer:          a.Issuer,
		Leeway:          a.Leeway,
	})
}

// pruneInterval is how often expired refresh-token rows are deleted.
const pruneInterval = 10 * time.Minute

// handler builds p's application for one process, then wraps it with
// CORS and Django's security headers as the settings say. release closes
// what the process holds. The process that housekeeps (worker slot 1, the
// dev server) also prunes the store. obs, when not nil, is told of the
// token service's outcomes, for metrics.
func (p Program) handler(ctx context.Context, cfg config.Config, housekeeper bool, obs authObserver, log *zap.Logger) (h http.Handler, release func() error, err error) {
	p = p.withDefaults()
	var a *App
	if p.Handler != nil {
		h, err = p.Handler(log)
		release = func() error { return nil }
	} else {
		a, release, err = p.app(ctx, cfg, housekeeper, obs, log)
		if a != nil {
			h = a.Router
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if a != nil && a.Auth != nil {
		h = a.Auth.Wrap(h)
	} else {
		crossOrigin, err := api.CORS(cfg.Browser.CORSAllowedOrigins)
		if err != nil {
			return nil, nil, errors.Join(err, release())
		}
		h = crossOrigin(h)
	}
	if cfg.Browser.SecurityHeaders {
		// Outermost, where Django's SecurityMiddleware sits: CORS
		// preflights carry them too.
		h = api.SecurityHeaders(h)
	}
	return h, release, nil
}

// app builds p's App for one process: drover's authentication when p has
// Auth, with the token endpoints mounted, then the program's routes.
// release closes what the process holds: the program's OnClose
// functions, then the store.
func (p Program) app(ctx context.Context, cfg config.Config, housekeeper bool, obs authObserver, log *zap.Logger) (a *App, release func() error, err error) {
	table, err := p.table()
	if err != nil {
		return nil, nil, err
	}
	dir := statedir.Dir(cfg.Auth.StateDir)
	if err := dir.Create(); err != nil {
		return nil, nil, err
	}
	a = &App{
		Name:     p.name(),
		Router:   &api.Router{},
		Settings: Settings{table: table, cfg: &cfg},
		StateDir: dir.Path(),
		Log:      log.Named(p.name()),
	}
	releaseAuth := func() error { return nil }
	if p.Auth != nil {
		if a.Auth, releaseAuth, err = buildAuth(ctx, cfg, p.Auth, housekeeper, obs, log); err != nil {
			return nil, nil, err
		}
		if path := p.Auth.tokenPath(); path != "" {
			if err := runRoutes(ctx, func(_ context.Context, a *App) error { a.Auth.Mount(a.Router, path); return nil }, a); err != nil {
				return nil, nil, errors.Join(fmt.Errorf("mount the token endpoints at %q: %w", path, err), releaseAuth())
			}
		}
	}
	release = func() error { return errors.Join(a.close(), releaseAuth()) }
	if err := runRoutes(ctx, p.Routes, a); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("routes: %w", err), release())
	}
	return a, release, nil
}

// buildAuth builds drover's token authentication for one process: its
// store, tokens, hasher and token service. With prune, the process also
// deletes expired refresh-token rows every pruneInterval (one process per
// store does). obs, when not nil, is told of logins, rotations, reuses
// and the hash queue. release stops the pruning and releases the store.
func buildAuth(ctx context.Context, cfg config.Config, pa *Auth, prune bool, obs authObserver, log *zap.Logger) (a *api.Auth, release func() error, err error) {
	tokens, err := newTokens(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("signing key: %w", err)
	}
	store, _, err := openStore(ctx, cfg, storeWorker)
	if err != nil {
		return nil, nil, err
	}
	var serviceObs auth.ServiceObserver
	var hashObs auth.HashObserver
	if obs != nil { // no typed nil in the configs' interfaces
		serviceObs, hashObs = obs, obs
	}
	hasher := newObservedHasher(cfg, hashObs)
	if err := hasher.Share(statedir.Dir(cfg.Auth.StateDir).HashSlots()); err != nil {
		store.Close()
		return nil, nil, err
	}
	svc, err := auth.NewService(auth.ServiceConfig{
		Tokens:          tokens,
		Store:           store,
		Hasher:          hasher,
		Rotate:          cfg.Auth.RotateRefreshTokens,
		UserCacheTTL:    cfg.Auth.UserCacheTTL,
		ReuseGrace:      cfg.Auth.RefreshReuseGrace,
		UpdateLastLogin: cfg.Auth.UpdateLastLogin,
		ClientAddr:      app.ClientIP,
		Claims:          pa.Claims,
		Observer:        serviceObs,
	}, log.Named("auth"))
	if err != nil {
		hasher.Close()
		store.Close()
		return nil, nil, err
	}
	a, err = api.NewAuth(api.Config{
		RefreshCookie:      cfg.Browser.RefreshCookie,
		RefreshLifetime:    cfg.Auth.RefreshLifetime,
		CORSAllowedOrigins: cfg.Browser.CORSAllowedOrigins,
	}, svc, log)
	if err != nil {
		hasher.Close()
		store.Close()
		return nil, nil, err
	}
	pctx, stopPruning := context.WithCancel(context.Background())
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		if prune {
			svc.PruneEvery(pctx, pruneInterval)
		}
	}()
	return a, func() error {
		stopPruning()
		<-pruned
		return errors.Join(hasher.Close(), store.Close())
	}, nil
}

// createState creates the state directory, where a program keeps its own
// files, and, for a program with drover's authentication, creates or
// migrates the store (unless --no-migrate, which only checks that the
// schema is current): once, before any worker starts, rather than in
// every worker at the same moment. prepare has checked the signing keys
// already.
func createState(ctx context.Context, p Program, cfg config.Config) error {
	if err := statedir.Dir(cfg.Auth.StateDir).Create(); err != nil || !p.authenticates() {
		return err
	}
	store, _, err := openStore(ctx, cfg, storeStart)
	if err != nil {
		return err
	}
	return store.Close()
}
