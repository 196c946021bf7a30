// Command authcode-login signs a user in with the OAuth 2 authorization
// code flow, as a native app does (RFC 8252), and keeps the token: the
// seed notebook's local redirect server, done safely.
//
// The first run listens on 127.0.0.1 on an ephemeral port, opens the
// browser at the authorization endpoint with a PKCE challenge and a random
// state, takes the one redirect, trades the code for tokens, and saves
// them to a file readable only by the user (mode 0600); where no browser
// can be opened it prints the address to open by hand. Later runs load
// the file and refresh the token with the refresh token when it is due,
// saving the rotated refresh token before using it.
//
// With -demo it runs twice against an in-process authorization server,
// the second run twenty minutes later on a fake clock so the refresh
// shows, with an HTTP client in place of the browser: no account and no
// network needed.
//
// Usage:
//
//	authcode-login -auth-url URL -token-url URL -client-id ID [-scope S] [-token-file F]
//	authcode-login -demo
//
// A confidential client's secret is read from AUTHCODE_CLIENT_SECRET;
// without it the client is public (RFC 8252 8.4).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// setup is one run's configuration.
type setup struct {
	flow      oauth.AuthCodeConfig
	tokenFile string
	clock     tokenrefresh.Clock // nil: the system clock
}

// run is the program; it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("authcode-login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run against an in-process authorization server")
	authURL := fs.String("auth-url", "", "authorization endpoint")
	tokenURL := fs.String("token-url", "", "token endpoint")
	clientID := fs.String("client-id", "", "client id")
	scope := fs.String("scope", "", "space-separated scopes")
	tokenFile := fs.String("token-file", defaultTokenFile(), "where the token is kept (mode 0600)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if *demo {
		err = runDemo(ctx, stdout)
	} else {
		if *authURL == "" || *tokenURL == "" || *clientID == "" {
			fmt.Fprintln(stderr, "authcode-login: set -auth-url, -token-url and -client-id, or run with -demo")
			return 2
		}
		s := setup{tokenFile: *tokenFile, flow: oauth.AuthCodeConfig{
			AuthURL: *authURL, TokenURL: *tokenURL, Client: clientAuth(*clientID, getenv("AUTHCODE_CLIENT_SECRET")),
			Scopes: strings.Fields(*scope), OpenBrowser: openOrPrint(stderr),
		}}
		_, err = session(ctx, s, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "authcode-login:", err)
		return 1
	}
	return 0
}

// clientAuth is a confidential client with client_secret_basic when there
// is a secret, else a public client.
func clientAuth(id, clientSecret string) oauth.ClientAuth {
	if clientSecret == "" {
		return oauth.ClientAuth{Method: oauth.AuthNone, ID: id}
	}
	return oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: id, Secret: secret.New(clientSecret)}
}

func defaultTokenFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "bearer-authcode-login", "token.json")
}

// session is one run of the program: log in through the browser if no
// token is stored, else resume the stored one (refreshing it if due). It
// returns a valid token.
func session(ctx context.Context, s setup, w io.Writer) (*oauth2.Token, error) {
	if s.clock != nil {
		s.flow.Now = s.clock.Now
	}
	ac, err := oauth.NewAuthCode(s.flow)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(s.tokenFile), 0o700); err != nil {
		return nil, fmt.Errorf("create the token file's directory: %w", err)
	}
	store, err := tokenrefresh.NewFileStore(s.tokenFile)
	if err != nil {
		return nil, err
	}
	stored, err := store.Load(ctx)
	switch {
	case errors.Is(err, tokenrefresh.ErrNoToken):
		fmt.Fprintln(w, "no stored token: signing in through the browser")
	case err != nil:
		return nil, err
	default:
		fmt.Fprintf(w, "found a token in %s\n", s.tokenFile)
	}
	// With an empty store, NewRefresher logs in (AuthCode is an
	// oauth.Loginer) and saves the token before it returns.
	r, err := oauth.NewRefresher(ctx, ac, tokenrefresh.Config{Store: store, Clock: s.clock})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if stored == nil {
		fmt.Fprintln(w, "signed in; token saved (mode 0600)")
	}
	tok, err := r.Token(ctx)
	if err != nil {
		if tokenrefresh.IsPermanent(err) {
			return nil, fmt.Errorf("%w: delete %s and run again to sign in", err, s.tokenFile)
		}
		return nil, err
	}
	if stored != nil && tok.AccessToken != stored.Token.Reveal().AccessToken {
		fmt.Fprintf(w, "the stored token was due: refreshed it (refresh token rotated: %t) and saved it\n",
			tok.RefreshToken != stored.Token.Reveal().RefreshToken)
	}
	fmt.Fprintf(w, "token valid until %s\n", tok.Expiry.Format("2006-01-02 15:04:05 MST"))
	return tok, nil
}

// openOrPrint opens the user's browser, or, where there is none (a
// server reached over SSH), prints the address to open by hand.
func openOrPrint(w io.Writer) func(ctx context.Context, authURL string) error {
	return func(ctx context.Context, authURL string) error {
		if err := oauth.OpenBrowser(ctx, authURL); err != nil {
			return oauth.PrintURL(w)(ctx, authURL)
		}
		return nil
	}
}
