package bearer

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/bearer-go/bearer/internal/backoff"
	"github.com/bearer-go/bearer/internal/httpx"
)

// idempotentMethods may be retried after they reached the server
// (RFC 9110 9.2.2).
var idempotentMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodTrace: true,
}

// IdempotencyKeyHeader is the header that makes a POST or PATCH safe to
// retry: the server applies a request with a key it has seen only once.
const IdempotencyKeyHeader = "Idempotency-Key"

// retrySafe reports whether req may be sent again after the server may
// have acted on it.
func retrySafe(req *http.Request) bool {
	return idempotentMethods[req.Method] || req.Header.Get(IdempotencyKeyHeader) != "" ||
		req.Header.Get("X-Idempotency-Key") != ""
}

// attemptError wraps a failed attempt's error with what the retry policy
// needs to know about the request, which retryablehttp does not pass it.
type attemptError struct {
	err       error
	retrySafe bool // the request may be repeated even if it was received
	neverSent bool // the failure happened before the server saw anything
}

func (e *attemptError) Error() string { return e.err.Error() }
func (e *attemptError) Unwrap() error { return e.err }

// unsendable is why a request was not sent, found before sending, that
// sending it again cannot change: the token is bound to a certificate or
// a key the client does not have. The client does not retry it, which
// would only make the caller wait for the same error.
type unsendable string

func (e unsendable) Error() string { return string(e) }

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

// neverSent reports whether err shows the request never left: the
// connection could not be made.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// checkRetry is the client's retry policy for retryablehttp.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var te *TokenError
		var ae *attemptError
		switch {
		case errors.As(err, &te):
			return false, err // the token source retries on its own schedule
		case !errors.As(err, &ae), !retryableTransportError(err):
			return false, err
		default:
			return ae.neverSent || ae.retrySafe, err
		}
	}
	if !httpx.RetryableStatus(resp.StatusCode) || !retrySafe(resp.Request) {
		return false, nil
	}
	if ra := httpx.RetryAfter(resp.Header, time.Now()); ra > c.maxRetryAfter {
		return false, nil // longer than we will wait: let the caller decide
	}
	return true, nil
}

// retryableTransportError reports whether a transport error may pass:
// not a bad URL, a redirect loop, a refused destination, a certificate
// problem, or a request the client could not send (unsendable).
func retryableTransportError(err error) bool {
	var ue *url.Error
	var insecure *httpx.InsecureURLError
	var redirect *httpx.RedirectError
	var refused unsendable
	switch {
	case errors.As(err, &ue) && errors.Is(ue.Err, http.ErrUseLastResponse),
		httpx.IsNotLoopback(err), errors.As(err, &insecure), errors.As(err, &redirect), errors.As(err, &refused):
		return false
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return false
	}
	return true
}

// backoff returns the wait before retry attempt (0-based): the server's
// Retry-After if it sent one, up to the client's cap, else the SDK's one
// backoff from lo, capped at hi.
func (c *Client) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra := httpx.RetryAfter(resp.Header, time.Now()); ra > 0 {
			return min(ra, c.maxRetryAfter)
		}
	}
	return backoff.Exponential(lo, hi, attempt+1, nil)
}
