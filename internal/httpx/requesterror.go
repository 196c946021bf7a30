package httpx

import (
	"errors"
	"net/url"

	"github.com/bearer-go/bearer/internal/redact"
)

// RequestError is a request that got no answer: the connection failed,
// was refused by the rules of this package, timed out, or was cut. The
// root package and oauth export it as their RequestError.
type RequestError struct {
	Method string // the request's method
	URL    string // the request's URL, redacted
	Err    error  // the underlying error, its message redacted: errors.Is and errors.As see the original

	pkg string // the prefix of the message
	msg string // Err's message with secrets removed
}

// NewRequestError describes err, the failure of the request method u,
// with every secret of reg (and extra) removed; pkg prefixes the message.
// The *url.Error net/http wraps around err, which repeats the URL
// unredacted, is dropped.
func NewRequestError(pkg, method string, u *url.URL, err error, reg *redact.Registry, extra ...string) *RequestError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	extra = append(extra, redact.URLSecrets(u)...)
	msg := reg.Redact(err.Error(), extra...)
	return &RequestError{Method: method, URL: RedactURL(u, reg, extra...), Err: redact.NewError(err, msg), pkg: pkg, msg: msg}
}

// Error names the request, redacted, and why it failed.
func (e *RequestError) Error() string { return e.pkg + ": " + e.Method + " " + e.URL + ": " + e.msg }

// Unwrap returns the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// RedactURL returns u as a string without user info, fragment, the values
// of sensitive query parameters, and any secret of reg or extra (a token
// in the path).
func RedactURL(u *url.URL, reg *redact.Registry, extra ...string) string {
	return reg.Redact(redact.URL(u), extra...)
}
