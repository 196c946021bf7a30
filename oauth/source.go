package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// Source is what every grant of this package provides: the next token,
// given the current one (nil at first). Its Refresh method is a
// tokenrefresh.RefreshFunc. [*ClientCredentials], [*Password],
// [*RefreshToken], [*JWTBearer], [*AuthCode] and [*Device] are Sources.
type Source interface {
	Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error)
}

// A Loginer is a Source that obtains its first token by asking the user:
// [*AuthCode] through a browser, [*Device] on another device. Its Refresh
// needs a refresh token, since a background refresh cannot ask anyone;
// [NewRefresher] calls Login instead when there is no token to start from.
type Loginer interface {
	Source
	Login(ctx context.Context) (*oauth2.Token, error)
}

// NewRefresher returns a tokenrefresh.Refresher that keeps a token from
// src alive: refreshed in the background before it expires, retried with
// backoff on 5xx, 429 and network errors, stopped on permanent errors,
// and saved to cfg.Store (so rotated refresh tokens survive a restart,
// and a refresh in flight when the Refresher is closed is finished and
// saved: see tokenrefresh.Config.CloseGrace).
// cfg.Refresh must be nil: NewRefresher sets it to src.Refresh. When src
// is a [Loginer], cfg.Initial is nil and cfg.Store holds no token (or
// there is no Store), NewRefresher logs in first, with src.Login, and
// starts from that token. For a grant with [Settings.DPoP], it sets
// cfg.DPoP, so that DPoP-bound tokens are accepted; it refuses a DPoP key
// that NewDPoP generated when cfg.Store is set, since the stored tokens
// would die with the key. ctx bounds the initial load from cfg.Store and
// that login, which waits for the user. Close the Refresher when done.
func NewRefresher(ctx context.Context, src Source, cfg tokenrefresh.Config) (*tokenrefresh.Refresher, error) {
	if src == nil {
		return nil, errors.New("oauth: NewRefresher needs a Source")
	}
	if cfg.Refresh != nil {
		return nil, errors.New("oauth: NewRefresher sets Config.Refresh from the Source: leave it nil")
	}
	if err := withDPoP(src, &cfg); err != nil {
		return nil, err
	}
	if l, ok := src.(Loginer); ok && cfg.Initial.IsZero() {
		tok, err := loginIfEmpty(ctx, l, cfg.Store, cfg.Clock)
		if err != nil {
			return nil, err
		}
		cfg.Initial = secret.New(tok)
	}
	cfg.Refresh = src.Refresh
	return tokenrefresh.New(ctx, cfg)
}

// loginIfEmpty logs in when store holds no token, and returns the token;
// nil when there is one to resume. The token a person just logged in for
// is saved to store at once, before anything else can fail, so that it is
// never lost: a restart resumes it.
func loginIfEmpty(ctx context.Context, l Loginer, store tokenrefresh.Store, clk tokenrefresh.Clock) (*oauth2.Token, error) {
	if store != nil {
		_, err := store.Load(ctx)
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, tokenrefresh.ErrNoToken) {
			return nil, fmt.Errorf("oauth: read the store before logging in: %w", err)
		}
	}
	tok, err := l.Login(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth: log in for a first token: %w", err)
	}
	if store != nil {
		now := time.Now()
		if clk != nil {
			now = clk.Now()
		}
		e := &tokenrefresh.Entry{Token: secret.New(tok), Obtained: now, Lineage: tokenrefresh.LineageOf(tok)}
		if err := store.Save(ctx, e); err != nil {
			return nil, fmt.Errorf("oauth: save the token of the login: %w", err)
		}
	}
	return tok, nil
}
