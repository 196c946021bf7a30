package keeper

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// startOAuth keeps a token of an OAuth 2 grant alive with a Refresher.
func (k *Keeper) startOAuth(ctx context.Context, t *config.Token, store tokenrefresh.Store) error {
	src, upstream, err := OAuthSource(t, k.log)
	if err != nil {
		return err
	}
	// A source a person signs in to (authcode, device) does not log in
	// here: with no token in the store, its refresh fails for good, and
	// the loss says to run bearer login.
	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
		Refresh:  src.Refresh,
		Store:    store,
		OnRotate: k.rotated,
		Observer: &k.ev,
		Logger:   k.log,
	})
	if err != nil {
		return err
	}
	k.src, k.inv = r, r
	k.closeFirst(r.Close)
	return k.setUpstream(t, upstream)
}

// OAuthSource builds the grant of t, and the upstream the proxy forwards
// to by default ("" for none). It does no I/O.
func OAuthSource(t *config.Token, log *slog.Logger) (oauth.Source, string, error) {
	settings := oauth.Settings{Logger: log}
	client := ClientAuth(t)
	switch t.Source {
	case config.ClientCredentials:
		src, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: t.TokenURL, Client: client, Scopes: t.Scopes, Settings: settings})
		return src, "", err
	case config.RefreshToken:
		src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: t.TokenURL, Client: client,
			RefreshToken: t.RefreshToken.Value, Scopes: t.Scopes, Settings: settings})
		return src, "", err
	case config.AuthCode:
		src, err := NewAuthCode(t, nil, nil)
		return src, "", err
	case config.Device:
		src, err := NewDevice(t, nil)
		return src, "", err
	case config.ClimateEngine:
		return climateEngineSource(t, settings)
	}
	return nil, "", fmt.Errorf("source %q is not an OAuth 2 grant", t.Source)
}

// NewAuthCode builds the authorization code flow of t; openBrowser, if not
// nil, replaces the platform's opener, and output receives the address to
// open when no browser could be.
func NewAuthCode(t *config.Token, openBrowser func(ctx context.Context, u string) error, output io.Writer) (*oauth.AuthCode, error) {
	return oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: t.AuthURL, TokenURL: t.TokenURL, Client: ClientAuth(t),
		Scopes: t.Scopes, Port: t.RedirectPort, OpenBrowser: openOrPrint(openBrowser, output)})
}

// NewDevice builds the device authorization grant of t (RFC 8628); its
// Login writes the prompt (where to go, the code to enter) to output,
// nil meaning stderr.
func NewDevice(t *config.Token, output io.Writer) (*oauth.Device, error) {
	return oauth.NewDevice(oauth.DeviceConfig{DeviceAuthURL: t.DeviceURL, TokenURL: t.TokenURL, Client: ClientAuth(t),
		Scopes: t.Scopes, Output: output})
}

// openOrPrint opens the browser with open (nil: the platform's opener),
// and prints the address to output when it cannot; a nil output leaves
// the opener's failure to end the login.
func openOrPrint(open func(ctx context.Context, u string) error, output io.Writer) func(ctx context.Context, u string) error {
	if open == nil {
		open = oauth.OpenBrowser
	}
	if output == nil {
		return open
	}
	return func(ctx context.Context, u string) error {
		if err := open(ctx, u); err != nil {
			return oauth.PrintURL(output)(ctx, u)
		}
		return nil
	}
}

// ClientAuth is t's client authentication: auth_method, else
// client_secret_basic with a secret and none (a public client) without.
func ClientAuth(t *config.Token) oauth.ClientAuth {
	if t.ClientID == "" {
		return oauth.ClientAuth{}
	}
	method := oauth.AuthMethod(t.AuthMethod)
	switch {
	case method != "":
	case t.ClientSecret.Set():
		method = oauth.ClientSecretBasic
	default:
		method = oauth.AuthNone
	}
	return oauth.ClientAuth{Method: method, ID: t.ClientID, Secret: t.ClientSecret.Value}
}

// climateEngineSource is Climate Engine's login, as climateengine.NewClient
// makes it: the password grant for a user, client credentials (by
// default with client_secret_jwt) for an API client, at its token path.
func climateEngineSource(t *config.Token, settings oauth.Settings) (oauth.Source, string, error) {
	authURL, apiURL := t.AuthURL, t.APIURL
	if authURL == "" {
		authURL = climateengine.DefaultAuthURL
	}
	if apiURL == "" {
		apiURL = climateengine.DefaultAPIURL
	}
	tokenURL := strings.TrimSuffix(authURL, "/") + climateengine.TokenPath
	if t.Email != "" {
		src, err := oauth.NewPassword(oauth.PasswordConfig{TokenURL: tokenURL, Username: t.Email, Password: t.Password.Value, Settings: settings})
		return src, apiURL, err
	}
	method := oauth.AuthMethod(t.AuthMethod)
	if method == "" {
		method = climateengine.DefaultMethod
	}
	src, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: tokenURL,
		Client: oauth.ClientAuth{Method: method, ID: t.ClientID, Secret: t.ClientSecret.Value}, Settings: settings})
	return src, apiURL, err
}
