package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
)

// Do sends req, retrying it when that is safe, and handles the response:
//
//   - a status outside 2xx gives an [*APIError] (the body is read, bounded,
//     and closed); a redirect to another scheme or host, which is not
//     followed, gives a [*RedirectError];
//   - with v an io.Writer, the body is copied into it, unbounded;
//   - with v nil, the body is discarded;
//   - otherwise the body is decoded as JSON into v, up to the client's
//     maximum response size.
//
// A request body that can be read again (see [Client.NewRequest], or any
// request with GetBody) is retried and replayed as the rules allow. Any
// other body is streamed as it is read, never held in memory: such a
// request is sent once, never retried, and not replayed after a
// rejection (its 401 is returned, or the source's [*TokenError] when it
// has no new token: after a revoked grant, the refresh's invalid_grant).
//
// The response is returned with its body closed. Do takes ownership of
// req: it sets the Authorization header on req itself (in a value slice
// req owns), so do not reuse req.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	resp, err := c.send(req)
	if err != nil {
		return resp, err
	}
	defer resp.Body.Close()
	switch v := v.(type) {
	case nil:
		httpx.DrainAndClose(resp.Body)
	case io.Writer:
		if _, err := io.Copy(v, resp.Body); err != nil {
			return resp, fmt.Errorf("bearer: %s %s: read response: %w", req.Method, c.redactedURL(req.URL), err)
		}
	default:
		if err := c.decode(resp, v); err != nil {
			return resp, fmt.Errorf("bearer: %s %s: %w", req.Method, c.redactedURL(req.URL), err)
		}
	}
	return resp, nil
}

// Stream sends req like [Client.Do] and, on a 2xx status, returns the
// response with its body open for the caller to read and close: for large
// downloads such as CSV exports. Other statuses give an [*APIError].
func (c *Client) Stream(req *http.Request) (*http.Response, error) {
	return c.send(req)
}

// send runs the retrying round trip and turns failures into errors that
// carry no secrets. On success resp.Body is open.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	if err := c.sendable(req); err != nil {
		closeBody(req)
		return nil, err
	}
	rc, rr, err := c.retryable(req)
	if err != nil {
		return nil, err
	}
	resp, err := rc.Do(rr)
	if err != nil {
		if resp != nil {
			httpx.DrainAndClose(resp.Body)
		}
		return nil, c.transportError(req, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, c.answerError(resp)
	}
	return resp, nil
}

// sendable refuses a request after Close, or not on the base URL.
func (c *Client) sendable(req *http.Request) error {
	switch {
	case c.closed.Load():
		return ErrClosed
	case req.URL == nil || !strings.EqualFold(req.URL.Host, c.base.Host) || req.URL.Scheme != c.base.Scheme:
		return fmt.Errorf("bearer: request to %s is not on the client's base URL: build it with NewRequest", redact.URL(req.URL))
	}
	return nil
}

// answerError reads an answer outside 2xx, closes its body, and describes
// it: a redirect that was not followed, or an API error.
func (c *Client) answerError(resp *http.Response) error {
	req := resp.Request
	if httpx.IsRedirect(resp.StatusCode) {
		httpx.DrainAndClose(resp.Body)
		return httpx.NewRedirectError("bearer", req.Method, c.redactedURL(req.URL), resp.StatusCode,
			c.x.Secrets.Redact(httpx.RedirectTarget(req.URL, resp.Header)))
	}
	a, _ := httpx.ReadAnswer(resp, MaxErrorBody)
	apiErr := httpx.NewAPIError(a, c.x.Secrets, time.Now())
	c.logger.Debug("bearer: request failed", "method", apiErr.Method, "url", apiErr.URL, "status", apiErr.StatusCode, "code", apiErr.Code)
	return apiErr
}

// retryable wraps req without copying its body, and picks the client to
// send it with: a body that can be read again (GetBody) is re-read per
// attempt, through the retrying client; any other body is streamed once.
func (c *Client) retryable(req *http.Request) (*retryablehttp.Client, *retryablehttp.Request, error) {
	body, getBody := req.Body, req.GetBody
	req.Body = nil
	rr, err := retryablehttp.FromRequest(req)
	if err != nil {
		closeBody(&http.Request{Body: body})
		return nil, nil, fmt.Errorf("bearer: prepare request: %w", err)
	}
	switch {
	case body == nil || body == http.NoBody:
	case getBody == nil:
		req.Body = body // streamed: retryablehttp leaves a body it was not given alone
		return c.once, rr, nil
	default:
		body.Close()
		if err := rr.SetBody(retryablehttp.ReaderFunc(func() (io.Reader, error) { return getBody() })); err != nil {
			return nil, nil, fmt.Errorf("bearer: read request body: %w", err)
		}
		rr.GetBody = getBody
	}
	rr.ContentLength = req.ContentLength
	return c.rc, rr, nil
}

// transportError makes err (which net/http wraps with the full URL) into
// one that names the request with a redacted URL.
func (c *Client) transportError(req *http.Request, err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return re
	}
	if ctxErr := req.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("bearer: %s %s: %w", req.Method, c.redactedURL(req.URL), ctxErr)
	}
	var ae *attemptError
	if errors.As(err, &ae) {
		err = ae.err
	}
	return httpx.NewRequestError("bearer", req.Method, req.URL, err, c.x.Secrets)
}

// decode reads a JSON body of at most c.maxBody bytes into v.
func (c *Client) decode(resp *http.Response, v any) error {
	lr := &io.LimitedReader{R: resp.Body, N: c.maxBody + 1}
	err := json.NewDecoder(lr).Decode(v)
	switch {
	case lr.N <= 0:
		return fmt.Errorf("response is larger than %d bytes: stream it with Stream or an io.Writer, or raise WithMaxResponseBytes", c.maxBody)
	case errors.Is(err, io.EOF):
		return nil // an empty body leaves v as it was
	case err != nil:
		return fmt.Errorf("decode JSON response (%s): %w", resp.Header.Get("Content-Type"), err)
	}
	return nil
}

// Get sends GET path and decodes the JSON response into out (nil to
// discard it).
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.call(ctx, http.MethodGet, path, nil, out)
}

// Post sends in as JSON with POST. A POST is retried only if it never
// reached the server: set an Idempotency-Key header through NewRequest and
// Do to make it safe to retry.
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

// clientTransport is the Client's own authorizing transport. The Client
// owns each request it sends, so the token goes in place, into the
// Authorization slot NewRequest made: no copy, no allocation. [Transport],
// which must not modify a caller's request, sends a copy instead.
type clientTransport struct {
	source  TokenSource
	base    http.RoundTripper
	dest    httpx.Destination
	reg     *redact.Registry
	logger  *slog.Logger
	dpop    Prover       // nil: DPoP-bound tokens are not sent
	binding *certBinding // the certificate tokens may be bound to
	cache   headerCache
}

func (t *clientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.dest.Check("bearer", req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	tok, err := fetchToken(req.Context(), t.source)
	if err == nil {
		err = t.binding.check(tok)
	}
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if err := t.authorize(req, tok); err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	noteNonce(t.dpop, req, tok, resp)
	if resp.StatusCode < 400 {
		return resp, nil
	}
	return rejection{src: t.source, base: t.base, cache: &t.cache, reg: t.reg, logger: t.logger, dpop: t.dpop, binding: t.binding}.after(req, tok, resp)
}

// authorize puts tok on req itself: into its empty Authorization slot,
// or a new value slice if it has none; a DPoP-bound token with a new
// proof.
func (t *clientTransport) authorize(req *http.Request, tok *oauth2.Token) error {
	if a, ok := t.source.(Authorizer); ok {
		a.Authorize(req, tok)
		return nil
	}
	if isDPoP(tok) {
		return setDPoP(req, tok, t.dpop, t.reg)
	}
	v := t.cache.value(tok, t.reg)
	if slot := req.Header["Authorization"]; len(slot) == 1 && slot[0] == "" {
		slot[0] = v
		return nil
	}
	req.Header["Authorization"] = []string{v}
	return nil
}
