package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// saveTimeout bounds the save of a token a person just got: a store that
// has not taken a few hundred bytes in 30 s is down.
const saveTimeout = 30 * time.Second

// loginCmd signs a person in for the token NAME (the authorization code
// flow in a browser, or the device flow with a code to enter on any
// device) and saves the token to its store, where a running serve adopts
// it.
func loginCmd(ctx context.Context, e env) error {
	var noBrowser bool
	cfgPath, name, err := parseNamed(e, "login", func(fs *flag.FlagSet) {
		fs.BoolVar(&noBrowser, "no-browser", false, "print the address to open instead of opening a browser (authcode)")
	})
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
	flow, err := loginFlow(e, name, t, noBrowser)
	if err != nil {
		return err
	}
	tok, err := flow.Login(ctx)
	if err != nil {
		return err
	}
	return saveLogin(e, name, t, tok)
}

// loginFlow builds the flow of t's source, and says on e.stderr what the
// person is to do.
func loginFlow(e env, name string, t *config.Token, noBrowser bool) (oauth.Loginer, error) {
	switch t.Source {
	case config.AuthCode:
		var opener func(context.Context, string) error
		if noBrowser {
			opener = func(context.Context, string) error { return fmt.Errorf("no browser") }
		}
		flow, err := keeper.NewAuthCode(t, opener, e.stderr)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(e.stderr, "Signing in for %s: finish in the browser (waiting up to %v).\n", name, oauth.DefaultLoginTimeout)
		return flow, nil
	case config.Device:
		flow, err := keeper.NewDevice(t, e.stderr)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(e.stderr, "Signing in for %s with a device code.\n\n", name)
		return flow, nil
	}
	return nil, fmt.Errorf("%s has a %s source, which needs no person to sign in: bearer login is for authcode and device sources", name, t.Source)
}

// saveLogin saves the token a person got to t's store.
func saveLogin(e env, name string, t *config.Token, tok *oauth2.Token) error {
	store, release, err := openStore(t)
	if err != nil {
		return err
	}
	defer release()
	sctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	if err := store.Save(sctx, &tokenrefresh.Entry{Token: secret.New(tok), Obtained: time.Now()}); err != nil {
		return fmt.Errorf("signed in, but saving the token failed (sign in again): %w", err)
	}
	fmt.Fprintf(e.stderr, "Signed in: the token of %s is saved in %s; a running serve takes it up.\n", name, keeper.DescribeStore(t))
	return nil
}
