package bearer

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/secret"
	"github.com/hashicorp/go-retryablehttp"
)

// Client calls a JSON API with bearer tokens: the api_request helper of
// the C2 and Climate Engine notebooks, done right. It resolves paths
// against a base URL, encodes and decodes JSON, turns error responses into
// [*APIError], retries what is safe to retry (go-retryablehttp, outside the
// authorization so each attempt reads the current token), and replays a
// request once after a rejection when its token source can replace the
// token (see [Transport] for the rules, which the Client shares).
//
// A Client is safe for concurrent use; create one per API with
// [NewClient], reuse it, and Close it when done. The zero value is not
// usable.
type Client struct {
	base   *url.URL
	source TokenSource
	hc     *http.Client // as given by WithHTTPClient; nil for the default
	x      *httpx.Exchange
	rc     *retryablehttp.Client // retries what is safe to retry
	once   *retryablehttp.Client // sends a streamed body, once
	closed atomic.Bool

	retryMax         int
	waitMin, waitMax time.Duration
	maxRetryAfter    time.Duration
	maxBody          int64
	logger           *slog.Logger
	userAgent        string
	insecure         bool
	trusted          *httpx.Trust                   // set by WithTrustedPEM; see tls.go
	dpop             Prover                         // set by WithDPoP; see dpop.go
	cert             secret.Value[*tls.Certificate] // set by WithClientCertificate; see mtls.go
	binding          *certBinding                   // checks tokens bound to a certificate
}

// ErrClosed is returned by requests of a [Client] after Close.
var ErrClosed = errors.New("bearer: the client is closed")

// NewClient returns a client for the API at baseURL, an absolute http or
// https URL. Request paths are resolved below it: with base
// https://host/api/v1, the path "users/me" (or "/users/me") is
// https://host/api/v1/users/me.
//
// With a token source, tokens go over https, or plain http to this
// machine only (see [Transport]; [WithInsecureHTTP] lifts the rule). If
// the source sends requests of its own (the login and refresh of package
// login, the rotation of package c2), they go through this client's
// transport, under the same rules.
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
		binding:       &certBinding{},
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if err := c.newExchange(); err != nil {
		return nil, err
	}
	if c.source != nil {
		if err := c.x.Destination().Check("bearer", base); err != nil {
			c.x.Close()
			return nil, err
		}
	}
	c.rc, c.once = c.newRetryClients()
	if b, ok := c.source.(httpx.Binder); ok {
		b.BindExchange(c.x)
	}
	return c, nil
}

// newExchange builds the client's way to the network: its transport (its
// own, or the one of WithHTTPClient, with the certificates of
// WithTrustedPEM) and its registry of secrets. A client without a token
// source sends no credential, so plain http may go anywhere.
func (c *Client) newExchange() error {
	x, err := httpx.NewExchange(httpx.ExchangeConfig{
		Pkg:         "bearer",
		HTTPClient:  c.hc,
		Insecure:    c.insecure || c.source == nil,
		Trust:       c.trusted,
		Certificate: c.cert.Reveal(),
	})
	if err != nil {
		return fmt.Errorf("bearer: WithTrustedPEM or WithClientCertificate: %w", err)
	}
	c.x = x
	return nil
}

func parseBase(baseURL string) (*url.URL, error) {
	u, err := url.Parse(baseURL)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("bearer: base URL %q is not an absolute http or https URL, such as https://api.example.com", redact.RawURL(baseURL))
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

// newRetryClients assembles retryablehttp > the client's own authorizing
// transport > the exchange's transport, with the API redirect rule: one
// client that retries, one that sends once.
func (c *Client) newRetryClients() (rc, once *retryablehttp.Client) {
	hc := *c.x.HTTPClient()
	base := hc.Transport
	hc.CheckRedirect = httpx.SameOrigin(hc.CheckRedirect)
	var rt http.RoundTripper = base
	if c.source != nil {
		rt = &clientTransport{source: c.source, base: base, dest: c.x.Destination(), reg: c.x.Secrets, logger: c.logger, dpop: c.dpop, binding: c.binding}
	}
	hc.Transport = attemptTransport{rt}
	return c.retryClient(&hc, c.retryMax), c.retryClient(&hc, 0)
}

func (c *Client) retryClient(hc *http.Client, retryMax int) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:     hc,
		RetryWaitMin:   c.waitMin,
		RetryWaitMax:   c.waitMax,
		RetryMax:       retryMax,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: c.logRetry,
	}
}

// Close releases the client's own transport: its idle connections are
// closed, and later requests fail with [ErrClosed]. A transport given
// with [WithHTTPClient] is left alone, and the token source is not
// closed. Close is idempotent and returns nil.
func (c *Client) Close() error {
	c.closed.Store(true)
	c.x.Close()
	return nil
}

// logRetry logs each retry at debug level, with secrets redacted.
func (c *Client) logRetry(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if attempt == 0 || !c.logger.Enabled(req.Context(), slog.LevelDebug) {
		return
	}
	c.logger.Debug("bearer: retrying request", "method", req.Method, "url", c.redactedURL(req.URL), "attempt", attempt+1)
}

// BaseURL returns the base URL paths are resolved against.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// NewRequest builds a request for path, resolved below the base URL. A
// non-nil body is sent as is if it is an io.Reader or []byte, and as JSON
// otherwise. A []byte, a JSON value, or a *bytes.Reader, *bytes.Buffer or
// *strings.Reader can be sent again (after a failure or a rejection); any
// other io.Reader is streamed, sent once (see [Client.Do]). Requests are
// bound to ctx.
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
	c.setHeaders(req.Header, contentType)
	return req, nil
}

// setHeaders sets the headers of a new request, their value slices cut
// from one array: Accept, User-Agent, Content-Type if given, and, for a
// client with a token source (other than an Authorizer), an empty
// Authorization slot the client's transport fills in place. Each request has its own array.
func (c *Client) setHeaders(h http.Header, contentType string) {
	vals := new([4]string)
	n := 0
	set := func(k, v string) {
		vals[n] = v
		h[k] = vals[n : n+1 : n+1]
		n++
	}
	set("Accept", "application/json")
	if c.userAgent != "" {
		set("User-Agent", c.userAgent)
	}
	if contentType != "" {
		set("Content-Type", contentType)
	}
	if _, own := c.source.(Authorizer); c.source != nil && !own {
		set("Authorization", "")
	}
}

// resolve joins path below the base URL. An absolute URL is accepted only
// on the base URL's scheme and host, so a token is never sent elsewhere.
func (c *Client) resolve(path string) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		// url.Parse's *url.Error quotes the path, query included: only
		// its cause is kept.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("bearer: bad request path %s: %w", c.x.Secrets.Redact(redact.RawURL(path)), err)
	}
	if ref.IsAbs() || ref.Host != "" {
		if !strings.EqualFold(ref.Host, c.base.Host) || ref.Scheme != c.base.Scheme {
			return nil, fmt.Errorf("bearer: %s is not on %s://%s: the token is sent only to the base URL's host",
				c.redactedURL(ref), c.base.Scheme, c.base.Host)
		}
		return ref, nil
	}
	ref.Path = strings.TrimPrefix(ref.Path, "/")
	ref.RawPath = strings.TrimPrefix(ref.RawPath, "/")
	return c.base.ResolveReference(ref), nil
}

func (c *Client) redactedURL(u *url.URL) string { return httpx.RedactURL(u, c.x.Secrets) }
