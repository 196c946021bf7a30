package climateengine

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// Default addresses of the service, and the paths of its auth server.
const (
	// DefaultAuthURL is the authorization server: logins, users/me, clients.
	DefaultAuthURL = "https://auth.climateengine.com"
	// DefaultAPIURL is the data API.
	DefaultAPIURL = "https://api.climateengine.com"
	// TokenPath is the token endpoint on the auth server.
	TokenPath = "/api/v1/auth/jwt/token"
)

// DefaultMethod is the client authentication method used with an API
// client id and secret when Credentials.Method is empty: client_secret_jwt,
// the one the service's own tutorial uses. The secret never leaves the
// program; only a short-lived signed assertion does.
const DefaultMethod = oauth.ClientSecretJWT

// Credentials say how to log in: set Email and Password (the password
// grant), or ClientID and ClientSecret (the client_credentials grant, for
// programs; create an API client with [ClientsService.Create]). Exactly
// one kind must be set. The secrets are [secret.Value]s, so Credentials
// print them as REDACTED however they are printed.
type Credentials struct {
	Email    string
	Password secret.String

	ClientID     string
	ClientSecret secret.String
	// Method authenticates the API client: oauth.ClientSecretBasic,
	// oauth.ClientSecretPost or oauth.ClientSecretJWT. Optional: empty
	// means DefaultMethod.
	Method oauth.AuthMethod
}

func (c *Credentials) validate() error {
	user := c.Email != "" || !c.Password.IsZero()
	client := c.ClientID != "" || !c.ClientSecret.IsZero()
	switch {
	case user && client:
		return errors.New("climateengine: Credentials hold both a password and an API client: set one kind")
	case user && (c.Email == "" || c.Password.IsZero()):
		return errors.New("climateengine: Credentials need both Email and Password")
	case client && (c.ClientID == "" || c.ClientSecret.IsZero()):
		return errors.New("climateengine: Credentials need both ClientID and ClientSecret")
	case !user && !client:
		return errors.New("climateengine: Credentials are empty: set Email and Password, or ClientID and ClientSecret")
	}
	switch c.Method {
	case "", oauth.ClientSecretBasic, oauth.ClientSecretPost, oauth.ClientSecretJWT:
	default:
		return fmt.Errorf("climateengine: Credentials.Method %q is not one the service accepts: use client_secret_basic, client_secret_post or client_secret_jwt", c.Method)
	}
	if user && c.Method != "" {
		return errors.New("climateengine: Credentials.Method applies to API clients only; a password login sends no client credentials")
	}
	return nil
}

// Client talks to Climate Engine: [UsersService] and [ClientsService] on
// the auth server, and the data API through [Client.NewRequest] and
// [Client.Do]. It logs in on first use and keeps its token alive in the
// background (tokens live about 15 minutes and are replaced about 11
// minutes in); a 401 from the service makes it log in again and replay the
// request once.
//
// Its logins and its requests to both servers share one transport, the
// SDK's own unless [WithHTTPClient] gives one, which Close releases.
//
// A Client is safe for concurrent use. Create one per account with
// [NewClient], reuse it, and Close it when done; the zero value is not
// usable.
type Client struct {
	Users   *UsersService
	Clients *ClientsService

	auth  *bearer.Client // the auth server
	api   *bearer.Client // the data API
	r     *tokenrefresh.Refresher
	owned *httpx.Transport // closed by Close; nil when the caller gave the HTTP client
}

// NewClient returns a client that logs in with creds. ctx bounds only the
// loading of a token from a store set with [WithStore]; the first request
// logs in.
func NewClient(ctx context.Context, creds Credentials, opts ...Option) (*Client, error) {
	if err := creds.validate(); err != nil {
		return nil, err
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	owned := o.transport()
	src, err := o.source(creds)
	if err != nil {
		return nil, err
	}
	r, err := oauth.NewRefresher(ctx, src, tokenrefresh.Config{Store: o.store, Clock: o.clock, Logger: o.logger})
	if err != nil {
		return nil, err
	}
	c, err := o.clients(r)
	if err != nil {
		r.Close()
		return nil, err
	}
	c.owned = owned
	return c, nil
}

// transport gives the options the SDK's transport, shared by the logins
// and both servers' clients, unless WithHTTPClient gave a client; it
// returns the transport it made, if any.
func (o *options) transport() *httpx.Transport {
	if o.hc != nil {
		return nil
	}
	t := httpx.NewTransport(httpx.TransportOptions{})
	o.hc = &http.Client{Transport: t}
	// Token requests keep oauth's bound on a whole request; API requests
	// may stream for longer, bounded by the transport's header timeout.
	o.loginHC = &http.Client{Transport: t, Timeout: oauth.DefaultRequestTimeout}
	return t
}

// source builds the token source of creds.
func (o *options) source(creds Credentials) (oauth.Source, error) {
	settings := oauth.Settings{HTTPClient: o.hc, Logger: o.logger}
	if o.loginHC != nil {
		settings.HTTPClient = o.loginHC
	}
	if o.clock != nil {
		settings.Now = o.clock.Now
	}
	tokenURL := o.authURL + TokenPath
	if creds.Email != "" {
		return oauth.NewPassword(oauth.PasswordConfig{TokenURL: tokenURL, Username: creds.Email, Password: creds.Password, Settings: settings})
	}
	method := creds.Method
	if method == "" {
		method = DefaultMethod
	}
	return oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		TokenURL: tokenURL,
		Client:   oauth.ClientAuth{Method: method, ID: creds.ClientID, Secret: creds.ClientSecret},
		Settings: settings,
	})
}

// clients builds the two bearer clients that share the Refresher.
func (o *options) clients(r *tokenrefresh.Refresher) (*Client, error) {
	common := []bearer.Option{bearer.WithTokenSource(r), bearer.WithUserAgent("bearer-go/climateengine"), bearer.WithHTTPClient(o.hc)}
	if o.logger != nil {
		common = append(common, bearer.WithLogger(o.logger))
	}
	common = append(common, o.bearerOpts...)
	auth, err := bearer.NewClient(o.authURL, common...)
	if err != nil {
		return nil, err
	}
	api, err := bearer.NewClient(o.apiURL, common...)
	if err != nil {
		return nil, err
	}
	c := &Client{auth: auth, api: api, r: r}
	c.Users = &UsersService{c: c}
	c.Clients = &ClientsService{c: c}
	return c, nil
}

// NewRequest builds a request to the data API for path, resolved below the
// API URL. A non-nil body is sent as JSON (or as is, for an io.Reader or
// []byte).
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	return c.api.NewRequest(ctx, method, path, body)
}

// Do sends a request built by [Client.NewRequest] and decodes the JSON
// response into v (see bearer.Client.Do). A status outside 2xx gives a
// *bearer.APIError; a failed login gives an error that wraps the
// *oauth.Error, so errors.Is(err, oauth.ErrInvalidGrant) tells a wrong
// password.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	return c.api.Do(req, v)
}

// Status reports whether the client's token is being kept alive.
func (c *Client) Status() tokenrefresh.Status { return c.r.Status() }

// Close stops the background token refresh and releases the client's
// connections. It is idempotent.
func (c *Client) Close() error {
	err := c.r.Close()
	c.auth.Close()
	c.api.Close()
	if c.owned != nil {
		c.owned.CloseIdleConnections()
	}
	return err
}
