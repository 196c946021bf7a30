package oauth

import (
	"context"
	"errors"

	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// Source is what every grant of this package provides: the next token,
// given the current one (nil at first). Its Refresh method is a
// tokenrefresh.RefreshFunc. [*ClientCredentials], [*Password],
// [*RefreshToken] and [*AuthCode] are Sources.
type Source interface {
	Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error)
}

// NewRefresher returns a tokenrefresh.Refresher that keeps a token from
// src alive: refreshed in the background before it expires, retried with
// backoff on 5xx, 429 and network errors, stopped on permanent errors,
// and saved to cfg.Store (so rotated refresh tokens survive a restart).
// cfg.Refresh must be nil: NewRefresher sets it to src.Refresh. ctx bounds
// only the initial load from cfg.Store. Close the Refresher when done.
func NewRefresher(ctx context.Context, src Source, cfg tokenrefresh.Config) (*tokenrefresh.Refresher, error) {
	if src == nil {
		return nil, errors.New("oauth: NewRefresher needs a Source")
	}
	if cfg.Refresh != nil {
		return nil, errors.New("oauth: NewRefresher sets Config.Refresh from the Source: leave it nil")
	}
	cfg.Refresh = src.Refresh
	return tokenrefresh.New(ctx, cfg)
}
