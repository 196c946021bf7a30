package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/cmd/bearer/internal/logx"
	"github.com/bearer-go/bearer/internal/redact"
)

// onceTimeout bounds bearer token when it runs the source itself: the
// store's load and, if the token is due, one refresh.
const onceTimeout = 60 * time.Second

// token prints a live token of NAME: from the running serve when one
// answers, else by running the source once, saving to its store (it says
// which on stderr).
func token(ctx context.Context, e env) error {
	var ep endpointFlags
	cfgPath, name, err := parseNamed(e, "token", ep.register)
	if err != nil {
		return err
	}
	cfg, cfgErr := loadConfig(cfgPath, e)
	srv := ep.server(cfg)
	if tok, err := askToken(ctx, srv, name); !errors.Is(err, errNotServing) {
		if err == nil {
			fmt.Fprintln(e.stdout, tok)
		}
		return err
	}
	if cfgErr != nil {
		return fmt.Errorf("no serve answers, and the source cannot be run without the configuration: %w", cfgErr)
	}
	t, err := tokenConfig(cfg, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "bearer: no serve answers; running the %s source of %s once (store: %s)\n", t.Source, name, keeper.DescribeStore(t))
	reg := &redact.Registry{}
	log := logx.New(e.stderr, cfg.Server.LogFormat, reg)
	keeper.LogRedisTo(log)
	tok, err := runOnce(ctx, name, t, log, reg)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

// server returns the serve to ask: the flags' endpoint, else the
// configuration's.
func (f *endpointFlags) server(cfg *config.Config) config.Server {
	if f.set() {
		return config.Server{Socket: f.socket, Listen: f.listen, KeyFile: f.keyFile}
	}
	if cfg == nil {
		return config.Server{}
	}
	return cfg.Server
}

// askToken asks the serve s describes for name's token.
func askToken(ctx context.Context, s config.Server, name string) (string, error) {
	c, err := newServeClient(s)
	if err != nil {
		return "", err
	}
	defer c.close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if _, err := c.get(ctx, "/v1/tokens/"+name, &tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("the serve at %s answered no token for %s", c.where, name)
	}
	return tok.AccessToken, nil
}

// runOnce starts the source of t, takes one token and stops it: a token
// that is due is refreshed and saved to the store first.
func runOnce(ctx context.Context, name string, t *config.Token, log *slog.Logger, reg *redact.Registry) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, onceTimeout)
	defer cancel()
	k, err := keeper.Build(ctx, name, t, keeper.Options{Logger: log, Secrets: reg})
	if err != nil {
		return "", err
	}
	defer k.Close()
	tok, err := k.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %s", name, k.Redact(err.Error()))
	}
	return tok.AccessToken, nil
}
