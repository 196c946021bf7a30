package bearer

import (
	"net/http"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
)

// Sentinel categories of API failures, for callers that branch on them:
// errors.Is(err, bearer.ErrRateLimited). An [*APIError] matches the one
// of its status.
var (
	// ErrUnauthorized: 401. The token was rejected, and a new one (if the
	// source could make one) was rejected too.
	ErrUnauthorized = httpx.ErrUnauthorized
	// ErrForbidden: 403. The token is valid but lacks a permission; a new
	// token will not help.
	ErrForbidden = httpx.ErrForbidden
	// ErrNotFound: 404.
	ErrNotFound = httpx.ErrNotFound
	// ErrRateLimited: 429.
	ErrRateLimited = httpx.ErrRateLimited
)

// APIError is a response with a status outside 2xx (a redirect the client
// does not follow is a [*RedirectError]). Its fields are read by the SDK's
// one parser of error answers: RFC 6749 JSON (error, error_description,
// error_uri), every RFC 6750 WWW-Authenticate challenge (in Challenges;
// the first with an error fills Code and Message when the body gave
// none), FastAPI's {"detail": …}, {"message": …}, problem documents, plain
// text (also when labelled text/html, as Flask sends it), HTML pages
// (their title) and form-encoded answers (whose values are never kept).
//
// Fields: Method and URL (redacted) name the request; StatusCode; Code,
// the server's machine-readable code ("invalid_token", "token-expired");
// Message, its human-readable description; URI, an RFC 6749 error_uri;
// RequestID, the first request-id header it sent (X-Request-Id,
// X-Amzn-Trace-Id, …), to quote to its operators; RetryAfter, the delay it
// asked for with Retry-After; Challenges; and Body, the start of the
// response body, at most [MaxErrorBody] bytes.
//
// Every secret the client has seen (its tokens, in every encoding a server
// might echo them in) and every value the answer itself labels secret is
// removed from every field before anything is cut. Error never includes
// Body. Permanent reports a 4xx other than 408 and 429; Temporary a 408,
// 429 or 5xx other than 501.
type APIError = httpx.APIError

// MaxErrorBody bounds the bytes of an error response that are read and
// kept in [APIError.Body]: enough for any error document, small enough to
// log.
const MaxErrorBody = httpx.MaxErrorBody

// RequestError is a request that got no response: the connection failed,
// was refused (plain http that did not reach a loopback address), timed
// out, or was cut. Method and URL (redacted) name the request; Err is the
// cause. oauth.RequestError is the same type.
type RequestError = httpx.RequestError

// RedirectError is a 3xx answer that is not followed: to a request that
// carries credentials of its own, or to an API request sent to another
// scheme or host. It names the status and the scheme and host the redirect
// pointed to, never the full address, which may carry secrets.
type RedirectError = httpx.RedirectError

// InsecureURLError is a request refused before anything was sent, because
// it would have carried a credential over plain http to an address that
// may not be this machine: see [WithInsecureHTTP].
type InsecureURLError = httpx.InsecureURLError

// UntrustedCertificateError is a server certificate that failed
// verification on a client configured with [WithTrustedPEM] or
// [WithTrustedPEMFile]. It names the certificate (Host, Subject, Issuer,
// SHA256 fingerprint as openssl prints it, NotBefore, NotAfter), so that
// it can be compared with the one expected, and says what to do. Err holds
// the *tls.CertificateVerificationError, whose chain has the x509 error.
// Requests that fail this way are never retried.
type UntrustedCertificateError = httpx.UntrustedCertificateError

// ParseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date relative to now (RFC 9110 10.2.3). It returns zero if the header is
// absent, invalid or in the past, and at most a day.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration { return httpx.RetryAfter(h, now) }
