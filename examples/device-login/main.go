// Command device-login signs a user in with the OAuth 2 device
// authorization grant (RFC 8628), the way a machine without a browser,
// such as a robot's shore station, gets a user's token, and keeps the
// token.
//
// It discovers the server's endpoints from its issuer (RFC 8414, OpenID
// Connect Discovery), asks for a device code, prints a short code and the
// address where the user enters it, on any phone or laptop, and polls the
// token endpoint as the server asks (interval, slow_down) until the user
// approves. The token is saved to a file readable only by the user (mode
// 0600); later runs resume it and refresh it when it is due.
//
// With -demo it runs against an in-process authorization server on
// 127.0.0.1 that approves after a few polls, on a fake clock so the five
// seconds between polls pass at once: no account and no network needed.
//
// Usage:
//
//	device-login -issuer URL -client-id ID [-scope S] [-token-file F]
//	device-login -demo
//
// A confidential client's secret is read from DEVICE_CLIENT_SECRET;
// without it the client is public.
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
	issuer    string
	flow      oauth.DeviceConfig // without Metadata: session discovers it
	tokenFile string
	clock     tokenrefresh.Clock // nil: the system clock
}

// run is the program; it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("device-login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run against an in-process authorization server")
	issuer := fs.String("issuer", "", "the authorization server's issuer URL, for discovery")
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
		if *issuer == "" || *clientID == "" {
			fmt.Fprintln(stderr, "device-login: set -issuer and -client-id, or run with -demo")
			return 2
		}
		s := setup{issuer: *issuer, tokenFile: *tokenFile, flow: oauth.DeviceConfig{
			Client: clientAuth(*clientID, getenv("DEVICE_CLIENT_SECRET")), Scopes: strings.Fields(*scope), Output: stdout,
		}}
		_, err = session(ctx, s, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "device-login:", err)
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
	return filepath.Join(dir, "bearer-device-login", "token.json")
}

// session is one run: discover the server, then resume the stored token,
// or, with none stored, sign in on another device. It returns a valid
// token.
func session(ctx context.Context, s setup, w io.Writer) (*oauth2.Token, error) {
	md, err := oauth.Discover(ctx, s.issuer, s.flow.Settings)
	if err != nil {
		return nil, err
	}
	s.flow.Metadata, s.flow.Clock = md, s.clock
	d, err := oauth.NewDevice(s.flow)
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
		fmt.Fprintln(w, "no stored token: signing in on another device")
	case err != nil:
		return nil, err
	default:
		fmt.Fprintf(w, "found a token in %s\n", s.tokenFile)
	}
	// With an empty store NewRefresher runs the device login (a Device is
	// an oauth.Loginer) and saves the token before it returns.
	r, err := oauth.NewRefresher(ctx, d, tokenrefresh.Config{Store: store, Clock: s.clock})
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
		fmt.Fprintln(w, "the stored token was due: refreshed it with its refresh token and saved it")
	}
	fmt.Fprintf(w, "token valid until %s\n", tok.Expiry.Format("2006-01-02 15:04:05 MST"))
	return tok, nil
}
