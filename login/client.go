package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// Client calls an API that needs a login, through a [bearer.Client], and
// keeps the caller logged in: [NewSessionClient] for an API that keeps a
// session in cookies, [NewTokenClient] for one that hands out access and
// refresh tokens. Its methods are those of bearer.Client, so requests,
// JSON and [*bearer.APIError] work the same; what it adds happens when the
// server rejects the login:
//
//   - a request whose answer says the session ended, or the token expired
//     or is invalid, is sent once more after logging in again or
//     refreshing the token, if its body can be sent again (it came from
//     NewRequest, or has GetBody);
//   - an answer that says the account lacks a permission is a
//     [*PermissionError] (token clients), never retried.
//
// A Client is safe for concurrent use; create one per API and account, and
// Close it when done. The zero value is not usable.
type Client struct {
	api    *bearer.Client
	auth   authenticator
	logger *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

// authenticator is what a kind of login adds to the requests of a Client.
type authenticator interface {
	// ready makes sure the client is logged in, logging in if needed, and
	// returns what a request is about to be sent with.
	ready(ctx context.Context) (ticket, error)
	// deny returns the error to give for an answer that says the account
	// lacks a permission, or nil.
	deny(e *bearer.APIError) error
	// recover reacts to a rejected answer to a request sent with t: it logs
	// in again or renews the token, and reports whether to send the
	// request once more.
	recover(ctx context.Context, t ticket, e *bearer.APIError) (bool, error)
	// secrets returns the credentials and recent tokens, to keep out of
	// errors.
	secrets() []string
	// close logs out if configured, within ctx, stops any background
	// work and forgets the secrets it can.
	close(ctx context.Context) error
	// refresher returns the token's Refresher; nil for sessions.
	refresher() *tokenrefresh.Refresher
}

// ticket is what a request was sent with: the session's login generation
// or the token.
type ticket struct {
	gen   uint64
	token string
}

// BaseURL returns the base URL paths are resolved against.
func (c *Client) BaseURL() *url.URL { return c.api.BaseURL() }

// NewRequest builds a request like [bearer.Client.NewRequest]. A body
// given as []byte, an io.Reader such as *bytes.Reader, or a value encoded
// as JSON can be sent again after a new login.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	return c.api.NewRequest(ctx, method, path, body)
}

// Do sends req like [bearer.Client.Do], logged in: it logs in first if
// needed, and after an answer that says the login ended it logs in again
// (or refreshes the token) and sends req once more. It takes ownership of
// req.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	return c.send(req, func(r *http.Request) (*http.Response, error) { return c.api.Do(r, v) })
}

// Stream sends req like [bearer.Client.Stream], logged in as [Client.Do]
// is. On success the caller must close the response body.
func (c *Client) Stream(req *http.Request) (*http.Response, error) {
	return c.send(req, c.api.Stream)
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
	_, err := c.auth.ready(ctx)
	var te *bearer.TokenError
	if errors.As(err, &te) && err == error(te) {
		return te.Err // not "no token for the request": there was none
	}
	return err
}

// Refresher returns the Refresher that keeps a token client's token alive,
// for its Status, or to hand the token to other code as a
// bearer.TokenSource; nil for a session client.
func (c *Client) Refresher() *tokenrefresh.Refresher { return c.auth.refresher() }

// Logout ends the client: it sends the token client's Logout request, if
// configured, within ctx; stops the token's background refresh; and
// forgets the session's cookies. Requests made after it fail with
// [ErrClosed]. Only the first call of Logout or Close does anything; each
// returns the logout's error, if any.
func (c *Client) Logout(ctx context.Context) error {
	c.closeOnce.Do(func() { c.closeErr = c.auth.close(ctx) })
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

// send runs req through the login: ready, send, and on a rejected answer,
// recover and send once more.
func (c *Client) send(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	ctx := req.Context()
	t, err := c.auth.ready(ctx)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	again := replayable(req)
	resp, err := send(req)
	var ae *bearer.APIError
	if !errors.As(err, &ae) {
		return resp, cleanError(err, c.auth.secrets())
	}
	if perr := c.auth.deny(ae); perr != nil {
		return resp, perr
	}
	retry, rerr := c.auth.recover(ctx, t, ae)
	switch {
	case rerr != nil:
		return resp, rerr
	case !retry:
		return resp, cleanError(err, c.auth.secrets())
	case again == nil:
		c.logger.Info("login: renewed the login, but the request's body cannot be sent again: returning the rejection",
			"method", req.Method, "url", redact.URL(req.URL))
		return resp, cleanError(err, c.auth.secrets())
	}
	r2, err := again()
	if err != nil {
		return resp, cleanError(ae, c.auth.secrets())
	}
	c.logger.Debug("login: sending the request again", "method", req.Method, "url", redact.URL(req.URL))
	resp, err = send(r2)
	if errors.As(err, &ae) {
		if perr := c.auth.deny(ae); perr != nil {
			return resp, perr
		}
	}
	return resp, cleanError(err, c.auth.secrets())
}

// replayable returns a function that makes a fresh copy of req to send
// again, or nil if its body cannot be read twice. It must be called before
// req is sent: bearer.Client.Do changes req.
func replayable(req *http.Request) func() (*http.Request, error) {
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.GetBody == nil {
		return nil
	}
	r2 := req.Clone(req.Context())
	r2.Body = nil
	getBody := req.GetBody
	return func() (*http.Request, error) {
		if hasBody {
			body, err := getBody()
			if err != nil {
				return nil, err
			}
			r2.Body = body
		}
		return r2, nil
	}
}

// checkSecure applies bearer's rule for sending a token over plain http
// (https, a loopback host, or bearer.WithInsecureHTTP among opts) to the
// credentials and session cookies of a login, by asking bearer.NewClient
// whether a client that sends a token would be allowed. c is a client
// already built from baseURL and opts, so any other error has shown.
func checkSecure(c *bearer.Client, baseURL string, opts []bearer.Option) error {
	if c.BaseURL().Scheme != "http" {
		return nil
	}
	probe := append(opts[:len(opts):len(opts)], bearer.WithTokenSource(bearer.StaticToken("probe")))
	if _, err := bearer.NewClient(baseURL, probe...); err != nil {
		return fmt.Errorf("login: refusing to send credentials over plain http to %s: use https, or pass bearer.WithInsecureHTTP if the network is trusted", c.BaseURL().Host)
	}
	return nil
}
