package bearer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
	"github.com/hashicorp/go-retryablehttp"
)

// Client calls a JSON API with bearer tokens: the api_request helper of
// the C2 and Climate Engine notebooks, done right. It resolves paths
// against a base URL, encodes and decodes JSON, turns error responses into
// [*APIError], retries what is safe to retry (go-retryablehttp, outside the
// authorization so each attempt reads the current token), and replays a
// request once after a 401 when its token source can replace the token.
//
// A Client is safe for concurrent use; create one per API and reuse it.
type Client struct {
	base   *url.URL
	source TokenSource
	hc     *http.Client // as given by WithHTTPClient; nil for the default
	rc     *retryablehttp.Client
	auth   *Transport // nil without a token source

	retryMax         int
	waitMin, waitMax time.Duration
	maxRetryAfter    time.Duration
	maxBody          int64
	logger           *slog.Logger
	userAgent        string
	insecure         bool
	trusted          *trustedCerts // set by WithTrustedPEM; see tls.go
}

// NewClient returns a client for the API at baseURL, an absolute http or
// https URL. Request paths are resolved below it: with base
// https://host/api/v1, the path "users/me" (or "/users/me") is
// https://host/api/v1/users/me.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	base, err := parseBase(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:          base,
		retryMax:      DefaultRetryMax,
		waitMin:       DefaultRetryWaitMin,
		waitMax:       DefaultRetryWaitMax,
		maxRetryAfter: DefaultMaxRetryAfter,
		maxBody:       DefaultMaxResponseBytes,
		userAgent:     "bearer-go",
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if err := c.applyTrust(); err != nil {
		return nil, err
	}
	if c.source != nil && base.Scheme == "http" && !c.insecure && !isLoopback(base.Hostname()) {
		return nil, fmt.Errorf("bearer: refusing to send tokens over plain http to %s: use https, or pass WithInsecureHTTP if the network is trusted", base.Host)
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.rc = c.newRetryClient()
	return c, nil
}

func parseBase(baseURL string) (*url.URL, error) {
	u, err := url.Parse(baseURL)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("bearer: base URL %q is not an absolute http or https URL, such as https://api.example.com", redact.String(baseURL))
	}
	if u.User != nil {
		return nil, errors.New("bearer: the base URL must not carry a user name or password: pass credentials through a token source")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// newRetryClient assembles retryablehttp > auth > base transport.
func (c *Client) newRetryClient() *retryablehttp.Client {
	var base http.RoundTripper
	hc := &http.Client{}
	if c.hc != nil {
		base = c.hc.Transport
		hc.Timeout, hc.Jar, hc.CheckRedirect = c.hc.Timeout, c.hc.Jar, c.hc.CheckRedirect
	}
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
		base = t
	}
	var rt http.RoundTripper = base
	if c.source != nil {
		c.auth = &Transport{Source: c.source, Base: base, AllowInsecureHTTP: c.insecure, Logger: c.logger, inPlace: true}
		rt = c.auth
	}
	hc.Transport = attemptTransport{rt}
	return &retryablehttp.Client{
		HTTPClient:     hc,
		RetryWaitMin:   c.waitMin,
		RetryWaitMax:   c.waitMax,
		RetryMax:       c.retryMax,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: c.logRetry,
	}
}

// logRetry logs each retry at debug level, with secrets redacted.
func (c *Client) logRetry(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if attempt == 0 || !c.logger.Enabled(req.Context(), slog.LevelDebug) {
		return
	}
	c.logger.Debug("bearer: retrying request", "method", req.Method, "url", c.redactedURL(req), "attempt", attempt+1)
}

// attemptTransport marks each failed attempt with what checkRetry needs.
type attemptTransport struct{ next http.RoundTripper }

func (t attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		var te *TokenError
		if !errors.As(err, &te) {
			err = &attemptError{err: err, retrySafe: retrySafe(req), neverSent: neverSent(err)}
		}
	}
	return resp, err
}

// BaseURL returns the base URL paths are resolved against.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// NewRequest builds a request for path, resolved below the base URL. A
// non-nil body is sent as is if it is an io.Reader or []byte, and as JSON
// otherwise. Requests are bound to ctx.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	u, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		r = b
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("bearer: encode %s %s body as JSON: %w", method, path, err)
		}
		r, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("bearer: new %s request: %w", method, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return req, nil
}

// resolve joins path below the base URL. An absolute URL is accepted only
// on the base URL's scheme and host, so a token is never sent elsewhere.
func (c *Client) resolve(path string) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("bearer: bad request path: %w", err)
	}
	if ref.IsAbs() || ref.Host != "" {
		if !strings.EqualFold(ref.Host, c.base.Host) || ref.Scheme != c.base.Scheme {
			return nil, fmt.Errorf("bearer: %s is not on %s://%s: the token is sent only to the base URL's host",
				redact.URL(ref), c.base.Scheme, c.base.Host)
		}
		return ref, nil
	}
	ref.Path = strings.TrimPrefix(ref.Path, "/")
	ref.RawPath = strings.TrimPrefix(ref.RawPath, "/")
	return c.base.ResolveReference(ref), nil
}
