package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// endpoint is a token endpoint with the client that calls it.
type endpoint struct {
	url    *url.URL
	aud    string // the audience of client assertions
	client ClientAuth
	s      Settings // with defaults
}

func newEndpoint(u *url.URL, c ClientAuth, s Settings) *endpoint {
	return &endpoint{url: u, aud: assertionAudience(u), client: c, s: s.withDefaults()}
}

// name is the endpoint's URL for messages: without its query.
func (e *endpoint) name() string { return endpointName(e.url) }

func endpointName(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.String()
}

// token runs one token request of grant with the parameters in form and
// parses the answer. secrets are the grant's secrets (password, code,
// refresh token, verifier) to keep out of errors.
func (e *endpoint) token(ctx context.Context, grant string, form url.Values, secrets ...string) (*oauth2.Token, error) {
	form.Set("grant_type", grant)
	now := e.s.Now()
	a, err := e.authorized(form, now)
	if err != nil {
		return nil, err
	}
	secrets = append(secrets, e.client.Secret.Reveal(), a.assertion)
	a.get = e.s.TokenRequestGET
	ans, err := e.post(ctx, a, secrets)
	if err != nil {
		return nil, err
	}
	tok, err := parseTokenResponse(ans, now, e.s.DefaultLifetime, secrets)
	e.log(ctx, grant, ans, err)
	return tok, err
}

// request is a form ready to post, with its headers.
type request struct {
	url       *url.URL
	form      url.Values
	header    http.Header
	assertion string
	get       bool // send the form as the query of a GET ([Settings.TokenRequestGET])
}

// authorized adds the client's authentication to form.
func (e *endpoint) authorized(form url.Values, now time.Time) (*request, error) {
	r := &request{url: e.url, form: form, header: http.Header{}}
	a, err := e.client.authenticate(form, r.header, now, e.aud)
	if err != nil {
		return nil, err
	}
	r.assertion = a
	return r, nil
}

// answer is a response read within MaxResponseBytes.
type answer struct {
	endpoint string
	status   int
	header   http.Header
	body     []byte
	oversize bool // the body was longer than MaxResponseBytes
	now      time.Time
}

// post sends r as a form-encoded POST (RFC 6749 3.2), or as the query of
// a GET when r.get is set, and reads the answer.
func (e *endpoint) post(ctx context.Context, r *request, secrets []string) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url.String(), strings.NewReader(r.form.Encode()))
	if r.get {
		u := *r.url
		q := u.Query()
		for k, v := range r.form {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: build the request to %s: %w", endpointName(r.url), err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if !r.get {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return e.send(req, secrets)
}

// send sends req and reads the answer within MaxResponseBytes.
func (e *endpoint) send(req *http.Request, secrets []string) (*answer, error) {
	name := endpointName(req.URL)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := e.s.HTTPClient.Do(req)
	if err != nil {
		return nil, transportError(name, err, secrets)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, transportError(name, fmt.Errorf("read the answer: %w", err), secrets)
	}
	a := &answer{endpoint: name, status: resp.StatusCode, header: resp.Header, body: body, now: e.s.Now()}
	if len(body) > MaxResponseBytes {
		a.body, a.oversize = body[:MaxResponseBytes], true
	}
	return a, nil
}

// transportError describes a request that got no answer, with the URL
// the http package put in it replaced by the endpoint's name.
func transportError(name string, err error, secrets []string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &RequestError{Endpoint: name, Err: err, msg: redact.String(err.Error(), secrets...)}
}

// RequestError is a request to an OAuth server that got no answer: the
// connection failed, timed out, or was cut. tokenrefresh retries it.
type RequestError struct {
	Endpoint string // the URL, without its query
	Err      error  // the underlying error
	msg      string // Err's message with secrets removed
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("oauth: request to %s: %s", e.Endpoint, e.msg)
}

func (e *RequestError) Unwrap() error { return e.Err }

// log records the outcome of a token request, without secrets.
func (e *endpoint) log(ctx context.Context, grant string, a *answer, err error) {
	attrs := []slog.Attr{slog.String("endpoint", a.endpoint), slog.String("grant_type", grant),
		slog.String("auth_method", string(e.client.Method)), slog.Int("status", a.status)}
	var oe *Error
	if errors.As(err, &oe) {
		attrs = append(attrs, slog.String("error", oe.Code))
	}
	e.s.Logger.LogAttrs(ctx, slog.LevelDebug, "oauth: token request", attrs...)
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP date
// relative to now (RFC 9110 10.2.3). It returns zero if absent or invalid.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(min(max(secs, 0), maxRetryAfterSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// maxRetryAfterSeconds caps a Retry-After: a day, past which the header is
// more likely a bug than a plan.
const maxRetryAfterSeconds = 24 * 60 * 60
