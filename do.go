package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/bearer-go/bearer/internal/redact"
	"github.com/hashicorp/go-retryablehttp"
)

// Do sends req, retrying it when that is safe, and handles the response:
//
//   - a status outside 2xx gives an [*APIError] (the body is read, bounded,
//     and closed);
//   - with v an io.Writer, the body is copied into it, unbounded;
//   - with v nil, the body is discarded;
//   - otherwise the body is decoded as JSON into v, up to the client's
//     maximum response size.
//
// The response is returned with its body closed. Do takes ownership of
// req: it sets the Authorization header on req itself (saving a copy per
// request), so do not log req's headers, and do not reuse req.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	resp, err := c.send(req)
	if err != nil {
		return resp, err
	}
	defer resp.Body.Close()
	switch v := v.(type) {
	case nil:
		drainAndClose(resp.Body)
	case io.Writer:
		if _, err := io.Copy(v, resp.Body); err != nil {
			return resp, fmt.Errorf("bearer: %s %s: read response: %w", req.Method, c.redactedURL(req), err)
		}
	default:
		if err := c.decode(resp, v); err != nil {
			return resp, fmt.Errorf("bearer: %s %s: %w", req.Method, c.redactedURL(req), err)
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
	if req.URL == nil || !strings.EqualFold(req.URL.Host, c.base.Host) || req.URL.Scheme != c.base.Scheme {
		closeBody(req)
		return nil, fmt.Errorf("bearer: request to %s is not on the client's base URL: build it with NewRequest", redact.URL(req.URL))
	}
	rr, err := retryableRequest(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.rc.Do(rr)
	if err != nil {
		if resp != nil {
			drainAndClose(resp.Body)
		}
		return nil, c.transportError(req, err, c.secrets(req)...)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newAPIError(resp, c.secrets(req)...)
		c.logger.Debug("bearer: request failed", "method", req.Method, "url", apiErr.URL, "status", resp.StatusCode, "code", apiErr.Code)
		return resp, apiErr
	}
	return resp, nil
}

// retryableRequest wraps req without copying its body: a body that can be
// replayed (GetBody) is re-read per attempt; any other body is read into
// memory once by retryablehttp so it can be sent again.
func retryableRequest(req *http.Request) (*retryablehttp.Request, error) {
	body, getBody := req.Body, req.GetBody
	req.Body = nil
	rr, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, fmt.Errorf("bearer: prepare request: %w", err)
	}
	switch {
	case body == nil || body == http.NoBody:
	case getBody != nil:
		body.Close()
		err = rr.SetBody(retryablehttp.ReaderFunc(func() (io.Reader, error) { return getBody() }))
		rr.GetBody = getBody
	default:
		err = rr.SetBody(io.Reader(body))
		body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("bearer: read request body: %w", err)
	}
	rr.ContentLength = req.ContentLength
	return rr, nil
}

// transportError makes err (which net/http wraps with the full URL) into
// one that names the request with a redacted URL.
func (c *Client) transportError(req *http.Request, err error, secrets ...string) error {
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	if ctxErr := req.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("bearer: %s %s: %w", req.Method, redact.URL(req.URL, secrets...), ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ae *attemptError
	if errors.As(err, &ae) {
		err = ae.err
	}
	return &RequestError{
		Method: req.Method,
		URL:    redact.URL(req.URL, secrets...),
		Err:    err,
		msg:    redact.String(err.Error(), secrets...),
	}
}

// RequestError is a request that got no response: the connection failed,
// timed out, or was cut.
type RequestError struct {
	Method string // the request's method
	URL    string // the request's URL, redacted
	Err    error  // the underlying error
	msg    string // Err's message with secrets removed
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("bearer: %s %s: %s", e.Method, e.URL, e.msg)
}
func (e *RequestError) Unwrap() error { return e.Err }

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

// secrets returns the tokens to redact from what is said about req: the
// one it was sent with and the one last used by the client (a request
// refused before sending has none of its own).
func (c *Client) secrets(req *http.Request) []string {
	var s []string
	v := req.Header.Get("Authorization")
	if i := strings.IndexByte(v, ' '); i >= 0 {
		s = append(s, v[i+1:])
	}
	if c.auth != nil {
		s = append(s, c.auth.lastTokens()...)
	}
	return s
}

func (c *Client) redactedURL(req *http.Request) string {
	return redact.URL(req.URL, c.secrets(req)...)
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
