package bearer

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
)

// Defaults of a [Client]; each can be changed with an [Option].
const (
	// DefaultRetryMax is how many times a failed request is retried: with
	// the default waits, about 15 s of trying before the error is returned.
	DefaultRetryMax = 4
	// DefaultRetryWaitMin is the first backoff delay.
	DefaultRetryWaitMin = 500 * time.Millisecond
	// DefaultRetryWaitMax caps one backoff delay.
	DefaultRetryWaitMax = 8 * time.Second
	// DefaultMaxRetryAfter caps how long a Retry-After may make the client
	// wait before retrying; a server that asks for longer gets its error
	// returned at once, with APIError.RetryAfter set, so the caller
	// decides.
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultMaxResponseBytes bounds a JSON response Do decodes; a body
	// streamed to an io.Writer is not bounded.
	DefaultMaxResponseBytes = 32 << 20
	// DefaultResponseHeaderTimeout bounds the wait for a response's headers
	// with the default HTTP client, so a hung server cannot hang a
	// request that has no deadline. Bodies may stream for longer.
	DefaultResponseHeaderTimeout = httpx.ResponseHeaderTimeout
)

// An Option configures a [Client] in [NewClient].
type Option func(*Client) error

// WithTokenSource authorizes every request with tokens from ts. Without it
// the client sends no Authorization header.
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) error {
		if ts == nil {
			return errors.New("bearer: WithTokenSource(nil): pass a TokenSource")
		}
		c.source = ts
		return nil
	}
}

// WithHTTPClient sends requests through hc's Transport, and keeps its
// Timeout, Jar and CheckRedirect (consulted after the client's own
// redirect rule). The client does not modify hc, and Close leaves its
// transport alone. A transport of your own cannot be checked when it
// connects: with it, tokens go over plain http only to loopback IP
// literals such as 127.0.0.1 (see [Transport]). A nil Transport means
// the client's own.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("bearer: WithHTTPClient(nil): pass an *http.Client")
		}
		c.hc = hc
		return nil
	}
}

// WithRetryMax sets how many times a failed request is retried; 0 turns
// retries off.
func WithRetryMax(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return fmt.Errorf("bearer: WithRetryMax(%d): must not be negative", n)
		}
		c.retryMax = n
		return nil
	}
}

// WithRetryWait sets the bounds of the exponential backoff between retries.
func WithRetryWait(min, max time.Duration) Option {
	return func(c *Client) error {
		if min <= 0 || max < min {
			return fmt.Errorf("bearer: WithRetryWait(%v, %v): need 0 < min <= max", min, max)
		}
		c.waitMin, c.waitMax = min, max
		return nil
	}
}

// WithMaxRetryAfter caps how long a server's Retry-After may delay a retry.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return fmt.Errorf("bearer: WithMaxRetryAfter(%v): must not be negative", d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithMaxResponseBytes bounds the JSON responses Do decodes.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) error {
		if n <= 0 {
			return fmt.Errorf("bearer: WithMaxResponseBytes(%d): must be positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithLogger logs requests, retries and replays at debug and info level,
// with secrets redacted. Without it the client is silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l == nil {
			return errors.New("bearer: WithLogger(nil): omit the option to log nothing")
		}
		c.logger = l
		return nil
	}
}

// WithUserAgent sets the User-Agent of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.userAgent = ua
		return nil
	}
}

// WithInsecureHTTP lets the client send tokens over plain http to hosts
// that are not loopback addresses (and, with WithHTTPClient, to names). Anyone on the network path can then
// read and reuse the token: use it only on networks you trust.
func WithInsecureHTTP() Option {
	return func(c *Client) error {
		c.insecure = true
		return nil
	}
}
