// Command climateengine-whoami logs in to Climate Engine and prints the
// account it logged in as: the first step of the service's tutorial, with
// the token kept alive by the SDK instead of by hand.
//
// It logs in with either kind of credentials, from the environment:
//
//	CLIMATEENGINE_EMAIL and CLIMATEENGINE_PASSWORD        the password grant
//	CLIMATEENGINE_CLIENT_ID and CLIMATEENGINE_CLIENT_SECRET an API client
//	                                                       (client_secret_jwt)
//
// With -demo it starts an in-process fake of the auth server, logs in with
// a password, creates an API client, logs in with that, and exits 0: no
// account and no network needed.
//
// Usage:
//
//	climateengine-whoami [-demo] [-auth-url URL]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/signal"

	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program; it returns the exit status: 0 on success, 1 when the
// login or a request fails, 2 on a usage error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("climateengine-whoami", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run against an in-process fake server")
	authURL := fs.String("auth-url", climateengine.DefaultAuthURL, "auth server base URL")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if *demo {
		err = runDemo(ctx, stdout)
	} else {
		creds, cerr := credentialsFromEnv(getenv)
		if cerr != nil {
			fmt.Fprintln(stderr, cerr)
			return 2
		}
		err = whoami(ctx, creds, *authURL, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "climateengine-whoami:", err)
		if errors.Is(err, oauth.ErrInvalidGrant) || errors.Is(err, oauth.ErrInvalidClient) {
			fmt.Fprintln(stderr, "check the credentials in the environment")
		}
		return 1
	}
	return 0
}

// credentialsFromEnv reads the credentials from the environment.
func credentialsFromEnv(getenv func(string) string) (climateengine.Credentials, error) {
	creds := climateengine.Credentials{
		Email:        getenv("CLIMATEENGINE_EMAIL"),
		Password:     secret.New(getenv("CLIMATEENGINE_PASSWORD")),
		ClientID:     getenv("CLIMATEENGINE_CLIENT_ID"),
		ClientSecret: secret.New(getenv("CLIMATEENGINE_CLIENT_SECRET")),
	}
	if creds == (climateengine.Credentials{}) {
		return creds, errors.New("set CLIMATEENGINE_EMAIL and CLIMATEENGINE_PASSWORD, or CLIMATEENGINE_CLIENT_ID and CLIMATEENGINE_CLIENT_SECRET; or run with -demo")
	}
	return creds, nil
}

// whoami logs in with creds and prints the account.
func whoami(ctx context.Context, creds climateengine.Credentials, authURL string, w io.Writer) error {
	c, err := climateengine.NewClient(ctx, creds, climateengine.WithAuthURL(authURL))
	if err != nil {
		return err
	}
	defer c.Close()
	me, err := c.Users.Me(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "logged in as %s (id %s, active %t, verified %t, superuser %t)\n",
		me.Email, me.ID, me.IsActive, me.IsVerified, me.IsSuperuser)
	return nil
}

// runDemo runs the tutorial against an in-process fake of the auth server.
func runDemo(ctx context.Context, w io.Writer) error {
	srv, err := climateenginetest.New(oauthtest.Config{})
	if err != nil {
		return err
	}
	const email, password = "demo@example.com", "demo-password"
	srv.AddUser(email, password)
	auth := httptest.NewServer(srv)
	defer auth.Close()
	fmt.Fprintln(w, "demo: fake auth server at", auth.URL)

	fmt.Fprintln(w, "1. password login")
	if err := whoami(ctx, climateengine.Credentials{Email: email, Password: secret.New(password)}, auth.URL, w); err != nil {
		return err
	}
	c, err := climateengine.NewClient(ctx, climateengine.Credentials{Email: email, Password: secret.New(password)}, climateengine.WithAuthURL(auth.URL))
	if err != nil {
		return err
	}
	defer c.Close()
	ac, err := c.Clients.Create(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "2. created API client %s (secret %s: shown once, store it safely)\n", ac.ClientID, ac.ClientSecret)
	fmt.Fprintln(w, "3. API client login with client_secret_jwt")
	return whoami(ctx, ac.Credentials(), auth.URL, w)
}
