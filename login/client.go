package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// Client calls an API that needs a login, through a [bearer.Client], and
// keeps the caller logged in: [NewSessionClient] for an API that keeps a
// session in cookies, [NewTokenClient] for one that hands out access and
// refresh tokens. Its methods are those of bearer.Client, so requests,
// JSON, retries and [*bearer.APIError] work the same. The login is the
// bearer.Client's token source, and uses the root's seams: its rejection
// policy says what an error answer means, and the bearer.Client replays:
//
//   - a request whose answer says the session ended, or the token expired
//     or is invalid, is sent once more after logging in again or
//     refreshing the token, if its body can be sent again (see
//     bearer.Client.Do);
//   - an answer that says the account lacks a permission is a
//     [*PermissionError] (token clients), never retried.
//
// The logins, refreshes and logouts go through the bearer.Client's
// transport too, under the SDK's rules for requests that carry
// credentials: https, or plain http to this machine only; no redirect
// followed.
//
// A Client is safe for concurrent use; create one per API and account, and
// Close it when done. The zero value is not usable.
type Client struct {
	api  *bearer.Client
	auth authenticator

	closeOnce sync.Once
	closeErr  error
}

// authenticator is a kind of login: the token source of the bearer.Client,
// with the rules its API's answers follow.
type authenticator interface {
	// Token logs in if needed, and returns what requests are sent with.
	// Reject says what an error answer means.
	bearer.RejectionPolicy
	// BindExchange receives the bearer.Client's way to the network, which
	// the logins, refreshes and logouts go through.
	httpx.Binder
	// bound reports whether BindExchange was called.
	bound() bool
	// deny returns the error to give for an answer that says the account
	// lacks a permission, or nil.
	deny(e *bearer.APIError) error
	// close logs out if configured, within ctx, stops any background
	// work and forgets the secrets it can.
	close(ctx context.Context) error
	// refresher returns the token's Refresher; nil for sessions.
	refresher() *tokenrefresh.Refresher
}

// newAPI builds the bearer.Client of a login at baseURL: auth is its
// token source, hc its HTTP client (with the session's jar).
func newAPI(baseURL string, auth authenticator, hc *http.Client, o *options) (*bearer.Client, error) {
	// The login's options come first, so that a bearer.WithHTTPClient
	// among the caller's (which drops the jar) shows up as a login that
	// leaves no cookie, and a bearer.WithTokenSource as an error here.
	opts := append([]bearer.Option{bearer.WithHTTPClient(hc), bearer.WithTokenSource(auth)}, o.bearer...)
	api, err := bearer.NewClient(baseURL, opts...)
	if err != nil {
		return nil, err
	}
	if !auth.bound() {
		api.Close()
		return nil, errors.New("login: WithBearerOptions must not include bearer.WithTokenSource: the login is the client's token source")
	}
	return api, nil
}

// httpClient returns a copy of the caller's client (or a new one) with
// jar, which may be nil.
func (o *options) httpClient(jar http.CookieJar) *http.Client {
	hc := &http.Client{}
	if o.hc != nil {
		*hc = *o.hc
	}
	hc.Jar = jar
	return hc
}

// BaseURL returns the base URL paths are resolved against.
func (c *Client) BaseURL() *url.URL { return c.api.BaseURL() }

// NewRequest builds a request like [bearer.Client.NewRequest]. A body
// given as []byte, a *bytes.Reader, or a value encoded as JSON can be sent
// again after a new login; another io.Reader is streamed, sent once.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	return c.api.NewRequest(ctx, method, path, body)
}

// Do sends req like [bearer.Client.Do], logged in: it logs in first if
// needed, and after an answer that says the login ended it logs in again
// (or refreshes the token) and sends req once more. It takes ownership of
// req.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	resp, err := c.api.Do(req, v)
	return resp, c.result(err)
}

// Stream sends req like [bearer.Client.Stream], logged in as [Client.Do]
// is. On success the caller must close the response body.
func (c *Client) Stream(req *http.Request) (*http.Response, error) {
	resp, err := c.api.Stream(req)
	return resp, c.result(err)
}

// result gives an answer that says the account lacks a permission as a
// *PermissionError, and a login that failed as its own error rather than
// as "no token for the request".
func (c *Client) result(err error) error {
	var ae *bearer.APIError
	if errors.As(err, &ae) && err == error(ae) {
		if perr := c.auth.deny(ae); perr != nil {
			return perr
		}
		return err
	}
	var te *bearer.TokenError
	switch _, session := c.auth.(*session); {
	case errors.Is(err, bearer.ErrClosed):
		return ErrClosed
	case session && errors.As(err, &te) && err == error(te):
		return te.Err
	}
	return err
}

// Get sends GET path and decodes the JSON response into out (nil to
// discard it).
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.call(ctx, http.MethodGet, path, nil, out)
}

// Post sends in as JSON with POST and decodes the response into out. It is
// sent again after a new login (the server rejected it, so did not act on
// it), but never retried after a failure the server may have acted on.
func (c *Client) Post(ctx context.Context, path string, in, out any) error {
	return c.call(ctx, http.MethodPost, path, in, out)
}

// Put sends in as JSON with PUT and decodes the response into out.
func (c *Client) Put(ctx context.Context, path string, in, out any) error {
	return c.call(ctx, http.MethodPut, path, in, out)
}

// Patch sends in as JSON with PATCH and decodes the response into out.
func (c *Client) Patch(ctx context.Context, path string, in, out any) error {
	return c.call(ctx, http.MethodPatch, path, in, out)
}

// Delete sends DELETE path and discards the response.
func (c *Client) Delete(ctx context.Context, path string) error {
	return c.call(ctx, http.MethodDelete, path, nil, nil)
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	req, err := c.NewRequest(ctx, method, path, in)
	if err != nil {
		return err
	}
	_, err = c.Do(req, out)
	return err
}

// Login logs in now if the client is not logged in, and returns why it
// could not. Requests log in on their own; call Login to learn at start-up
// that the credentials are refused.
func (c *Client) Login(ctx context.Context) error {
	_, err := c.auth.Token(ctx)
	return err
}

// Refresher returns the Refresher that keeps a token client's token alive,
// for its Status, or to hand the token to other code as a
// bearer.TokenSource; nil for a session client.
func (c *Client) Refresher() *tokenrefresh.Refresher { return c.auth.refresher() }

// Logout ends the client: it sends the token client's Logout request, if
// configured, within ctx; stops the token's background refresh; forgets
// the session's cookies; and closes the client's connections. Requests
// made after it fail with [ErrClosed]. Only the first call of Logout or
// Close does anything; each returns the logout's error, if any.
func (c *Client) Logout(ctx context.Context) error {
	c.closeOnce.Do(func() {
		c.closeErr = c.auth.close(ctx)
		c.api.Close()
	})
	return c.closeErr
}

// Close is [Client.Logout] within DefaultLogoutTimeout.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultLogoutTimeout)
	defer cancel()
	return c.Logout(ctx)
}

// Format prints the client as login.Client{REDACTED}, whatever the verb:
// it holds credentials and state that other goroutines change.
func (c *Client) Format(f fmt.State, _ rune) { redact.Opaque(f, "login.Client") }
