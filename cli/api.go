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

// openStore opens (creating if needed) the SQLite store in the state dir.
func openStore(ctx context.Context, cfg config.Config) (*auth.SQLiteStore, error) {
	dir := statedir.Dir(cfg.Auth.StateDir)
	if err := dir.Create(); err != nil {
		return nil, err
	}
	path := dir.Store()
	store, err := auth.OpenSQLite(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return store, nil
}

func newHasher(cfg config.Config) *auth.Hasher {
	a := cfg.Auth
	return auth.NewHasher(auth.HasherConfig{
		Memory:        uint32(a.Argon2Memory >> 10),
		Iterations:    uint32(a.Argon2Iterations),
		Parallelism:   uint8(a.Argon2Parallelism),
		MaxConcurrent: a.MaxConcurrentHashes,
	})
}

func newTokens(cfg config.Config) (*auth.Tokens, error) {
	a := cfg.Auth
	return auth.NewTokens(auth.TokenConfig{
		Algorithm:       a.Algorithm,
		Secret:          a.Keys.Secret,
		PrivateKeyPEM:   a.Keys.PrivateKey,
		PublicKeyPEM:    a.Keys.PublicKey,
		AccessLifetime:  a.AccessLifetime,
		RefreshLifetime: a.RefreshLifetime,
		Audience:        a.Audience,
		Issuer:          a.Issuer,
		Leeway:          a.Leeway,
	})
}

// pruneInterval is how often expired refresh-token rows are deleted.
const pruneInterval = 10 * time.Minute

// buildAPI builds drover's own API for one process: its store, tokens,
// hasher and routes. With prune, the process also deletes expired
// refresh-token rows every pruneInterval (one process per store does).
// release stops that and releases the store.
func buildAPI(ctx context.Context, cfg config.Config, prune bool, log *zap.Logger) (h http.Handler, release func() error, err error) {
	tokens, err := newTokens(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("signing key: %w", err)
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	hasher := newHasher(cfg)
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
	}, log.Named("auth"))
	if err != nil {
		hasher.Close()
		store.Close()
		return nil, nil, err
	}
	routes, err := api.New(api.Config{
		RefreshCookie:      cfg.Browser.RefreshCookie,
		RefreshLifetime:    cfg.Auth.RefreshLifetime,
		CORSAllowedOrigins: cfg.Browser.CORSAllowedOrigins,
	}, svc, log)
	if err != nil {
		hasher.Close()
		store.Close()
		return nil, nil, err
	}
	if cfg.Browser.SecurityHeaders {
		// Outermost, where Django's SecurityMiddleware sits: CORS
		// preflights carry them too.
		routes = api.SecurityHeaders(routes)
	}
	pctx, stopPruning := context.WithCancel(context.Background())
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		if prune {
			svc.PruneEvery(pctx, pruneInterval)
		}
	}()
	return routes, func() error {
		stopPruning()
		<-pruned
		return errors.Join(hasher.Close(), store.Close())
	}, nil
}

// createStore creates or migrates drover's own store once, before any
// worker starts, rather than in every worker at the same moment. prepare
// has checked the signing keys already.
func createStore(ctx context.Context, cfg config.Config) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	return store.Close()
}
