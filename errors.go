package bearer

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel categories of API failures, for callers that branch on them:
// errors.Is(err, bearer.ErrRateLimited). An [*APIError] matches the one
// of its status.
var (
	// ErrUnauthorized: 401. The token was rejected, and a new one (if the
	// source could make one) was rejected too.
	ErrUnauthorized = errors.New("bearer: unauthorized")
	// ErrForbidden: 403. The token is valid but lacks a permission; a new
	// token will not help.
	ErrForbidden = errors.New("bearer: forbidden")
	// ErrNotFound: 404.
	ErrNotFound = errors.New("bearer: not found")
	// ErrRateLimited: 429.
	ErrRateLimited = errors.New("bearer: rate limited")
)

// APIError is a response with a status outside 2xx. Its fields are parsed
// from the common error shapes: RFC 6749 JSON (error, error_description,
// error_uri), an RFC 6750 WWW-Authenticate challenge, FastAPI's
// {"detail": …}, {"message": …}, problem documents, and plain text.
// Secrets it could carry (the request's token, sensitive query values) are
// redacted from URL, Message and Body.
type APIError struct {
	Method     string // the request's method
	URL        string // the request's URL, redacted
	StatusCode int    // the HTTP status code
	// Code is the server's machine-readable error code, such as
	// "invalid_token" or "token-expired"; empty if it gave none.
	Code string
	// Message is the server's human-readable description; empty if none.
	Message string
	// URI is an RFC 6749 error_uri, if the server gave one.
	URI string
	// RequestID is the value of the first request-id header the server
	// sent (X-Request-Id, X-Amzn-Trace-Id, …), to quote to its operators.
	RequestID string
	// RetryAfter is the delay the server asked for with Retry-After;
	// zero if none.
	RetryAfter time.Duration
	// Body holds the start of the response body, at most MaxErrorBody
	// bytes.
	Body []byte
}

// MaxErrorBody bounds the bytes of an error response that are read and
// kept in [APIError.Body]: enough for any error document, small enough to
// log.
const MaxErrorBody = 16 << 10

// Error returns a one-line description without the body.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bearer: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether e belongs to the category target (ErrUnauthorized,
// ErrForbidden, ErrNotFound, ErrRateLimited).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// Permanent reports whether repeating the request cannot succeed: a 4xx
// other than 408 and 429. tokenrefresh stops retrying on such errors.
func (e *APIError) Permanent() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 &&
		e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests
}

// Temporary reports whether the failure may pass: 408, 429 and 5xx other
// than 501.
func (e *APIError) Temporary() bool {
	return retryableStatus(e.StatusCode)
}

// retryableStatus reports whether a response status is worth retrying.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests ||
		(code >= 500 && code != http.StatusNotImplemented)
}

// requestIDHeaders are checked in order for [APIError.RequestID].
var requestIDHeaders = []string{"X-Request-Id", "X-Correlation-Id", "Request-Id", "X-Amzn-Requestid", "X-Amzn-Trace-Id", "Cf-Ray"}

func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return clean(v, 128)
		}
	}
	return ""
}

// ParseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date relative to now. It returns zero if the header is absent or invalid.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
