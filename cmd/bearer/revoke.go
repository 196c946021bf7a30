package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/cmd/bearer/internal/logx"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// revokeTimeout bounds bearer revoke: the store's load and two requests.
const revokeTimeout = 60 * time.Second

// revoke revokes the token NAME holds in its store at its server: RFC
// 7009 revocation for OAuth 2 sources with a revocation_url, the logout
// request for a login API with a logout_path.
func revoke(ctx context.Context, e env) error {
	cfgPath, name, err := parseNamed(e, "revoke", nil)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(cfgPath, e)
	if err != nil {
		return err
	}
	t, err := tokenConfig(cfg, name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	reg := &redact.Registry{}
	switch {
	case t.RevocationURL != "":
		err = revokeOAuth(ctx, t, reg)
	case t.Source == config.LoginToken && t.LogoutPath != "":
		err = logout(ctx, t, logx.New(e.stderr, cfg.Server.LogFormat, reg))
	case t.Source == config.C2:
		return fmt.Errorf("%s: C2 has no revocation API: revoke the token where it was issued (%s/charon/tokens/issue lists your tokens)", name, apiRoot(t))
	default:
		return fmt.Errorf("%s: a %s source needs a revocation_url (or, for a login API, a logout_path) to be revoked", name, t.Source)
	}
	if err != nil {
		return fmt.Errorf("%s: %s", name, reg.Redact(err.Error()))
	}
	fmt.Fprintf(e.stderr, "Revoked the token of %s. A running serve now reports it lost; sign in again with bearer login %s.\n", name, name)
	return nil
}

// apiRoot is t's C2 API root.
func apiRoot(t *config.Token) string {
	if t.APIRoot != "" {
		return t.APIRoot
	}
	return c2.ProductionAPIRoot
}

// storedToken loads the token t's store holds.
func storedToken(ctx context.Context, t *config.Token, reg *redact.Registry) (*tokenrefresh.Entry, func(), error) {
	store, release, err := openStore(t)
	if err != nil {
		return nil, nil, err
	}
	if store == nil {
		return nil, nil, errors.New("it has no store, so no token outlives serve: there is nothing to revoke")
	}
	e, err := store.Load(ctx)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("load the token from %s: %w", keeper.DescribeStore(t), err)
	}
	reg.Add(e.Token.Reveal().AccessToken, e.Token.Reveal().RefreshToken)
	return e, release, nil
}

// revokeOAuth revokes the stored refresh token (which revokes the access
// tokens issued with it at most servers) and the access token.
func revokeOAuth(ctx context.Context, t *config.Token, reg *redact.Registry) error {
	e, release, err := storedToken(ctx, t, reg)
	if err != nil {
		return err
	}
	defer release()
	rev, err := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: t.RevocationURL, TokenURL: t.TokenURL, Client: keeper.ClientAuth(t)})
	if err != nil {
		return err
	}
	if rt := e.Token.Reveal().RefreshToken; rt != "" {
		if err := rev.Revoke(ctx, rt, oauth.HintRefreshToken); err != nil {
			return err
		}
	}
	return rev.Revoke(ctx, e.Token.Reveal().AccessToken, oauth.HintAccessToken)
}

// logout sends the login API's logout request with the stored token.
func logout(ctx context.Context, t *config.Token, log *slog.Logger) error {
	store, release, err := openStore(t)
	if err != nil {
		return err
	}
	defer release()
	c, err := keeper.NewLoginClient(ctx, t, store, log, nil, nil, true)
	if err != nil {
		return err
	}
	return c.Logout(ctx)
}
