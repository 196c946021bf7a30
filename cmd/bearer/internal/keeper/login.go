package keeper

import (
	"context"
	"log/slog"
	"strings"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// startLogin keeps the token of a login API (seed 004's kind) alive. The
// login client's Refresher is the source; the proxy does not invalidate
// on a 401, since such an API says by its error code whether a new token
// would help (login.Client decides so for its own requests). serve never
// logs out: the token may be shared with other serve processes; bearer
// revoke does.
func (k *Keeper) startLogin(ctx context.Context, t *config.Token, store tokenrefresh.Store) error {
	c, err := NewLoginClient(ctx, t, store, k.log, k.rotated, &k.ev, false)
	if err != nil {
		return err
	}
	r := c.Refresher()
	k.src = r
	k.closeFirst(c.Close)
	return k.setUpstream(t, t.BaseURL)
}

// tokenQuery turns refresh_token_query's values into the tokens they
// name; login.NewTokenClient refuses any other value than "access" and
// "refresh".
func tokenQuery(q map[string]string) map[string]login.TokenKind {
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]login.TokenKind, len(q))
	for k, v := range q {
		out[k] = login.TokenKind(v)
	}
	return out
}

// NewLoginClient builds the login client of t; onRotate and obs, if not
// nil, receive its Refresher's new tokens and events. With logout, Close
// (or Logout) sends t's logout request.
func NewLoginClient(ctx context.Context, t *config.Token, store tokenrefresh.Store, log *slog.Logger,
	onRotate func(old, new *oauth2Token), obs tokenrefresh.Observer, logout bool) (*login.Client, error) {
	cfg := login.TokenConfig{
		Credentials: login.Credentials{Username: t.Username, Password: t.Password.Value},
		Refresh:     login.TokenRequest{Path: t.RefreshPath, Method: strings.ToUpper(t.RefreshMethod), TokenQuery: tokenQuery(t.RefreshTokenQuery)},
		Refresher:   tokenrefresh.Config{Store: store, OnRotate: onRotate, Observer: obs, Logger: log},
	}
	if t.LoginPath != "" {
		cfg.Login = login.Request{Path: t.LoginPath, UsernameField: t.UsernameField, PasswordField: t.PasswordField,
			Encoding: login.Encoding(t.Encoding)}
	}
	if logout {
		cfg.Logout = login.TokenRequest{Path: t.LogoutPath, Method: strings.ToUpper(t.LogoutMethod)}
	}
	return login.NewTokenClient(ctx, t.BaseURL, cfg, login.WithLogger(log))
}
