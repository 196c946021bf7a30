package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/oneline"
	"github.com/bearer-go/bearer/internal/redact"
)

// Sentinel categories of API failures (exported by the root package): an
// [*APIError] matches the one of its status.
var (
	ErrUnauthorized = errors.New("bearer: unauthorized")
	ErrForbidden    = errors.New("bearer: forbidden")
	ErrNotFound     = errors.New("bearer: not found")
	ErrRateLimited  = errors.New("bearer: rate limited")
)

// MaxErrorBody bounds the bytes of an error response that are read and
// kept in [APIError.Body]: enough for any error document, small enough to
// log.
const MaxErrorBody = 16 << 10

// APIError is a response with a status outside 2xx (exported by the root
// package as bearer.APIError; see its documentation there).
type APIError struct {
	Method     string        // the request's method
	URL        string        // the request's URL, redacted
	StatusCode int           // the HTTP status code
	Code       string        // the server's machine-readable error code; empty if none
	Message    string        // the server's human-readable description; empty if none
	URI        string        // an RFC 6749 error_uri, if the server gave one
	RequestID  string        // the first request-id header the server sent
	RetryAfter time.Duration // the delay the server asked for with Retry-After; zero if none
	Challenges []Challenge   // every WWW-Authenticate challenge, redacted
	Body       []byte        // the start of the response body, redacted, at most MaxErrorBody bytes
}

// NewAPIError describes an error answer, with every secret of reg (and
// extra) removed from every field.
func NewAPIError(a *Answer, reg *redact.Registry, now time.Time, extra ...string) *APIError {
	p, body := a.Redacted(reg, MaxErrorBody, extra...)
	return &APIError{
		Method:     a.Method,
		URL:        RedactURL(a.URL, reg, extra...),
		StatusCode: a.StatusCode,
		Code:       p.Code,
		Message:    p.Message,
		URI:        p.URI,
		RequestID:  reg.Redact(requestID(a.Header), extra...),
		RetryAfter: RetryAfter(a.Header, now),
		Challenges: p.Challenges,
		Body:       []byte(body),
	}
}

// Error returns a one-line description without the body.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bearer: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	for _, s := range []string{e.Code, e.Message} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	if r := e.realm(); r != "" && !strings.Contains(e.Message, r) {
		fmt.Fprintf(&b, " (realm %q)", r)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// realm returns the realm of the first challenge that has one: seed 002
// says why a login failed there ("Password incorrect").
func (e *APIError) realm() string { return Problem{Challenges: e.Challenges}.Realm() }

// Is reports whether e belongs to the category target.
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
// other than 408 and 429.
func (e *APIError) Permanent() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 &&
		e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests
}

// Temporary reports whether the failure may pass: 408, 429 and 5xx other
// than 501.
func (e *APIError) Temporary() bool { return RetryableStatus(e.StatusCode) }

// RetryableStatus reports whether a response status is worth retrying:
// 408, 429, and 5xx other than 501.
func RetryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests ||
		(code >= 500 && code != http.StatusNotImplemented)
}

// requestIDHeaders are checked in order for [APIError.RequestID].
var requestIDHeaders = []string{"X-Request-Id", "X-Correlation-Id", "Request-Id", "X-Amzn-Requestid", "X-Amzn-Trace-Id", "Cf-Ray"}

// maxRequestID bounds a request id: ids are tens of characters.
const maxRequestID = 128

func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return oneline.Clean(v, maxRequestID)
		}
	}
	return ""
}
