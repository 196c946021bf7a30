// Package httpx is the one HTTP exchange layer of the SDK: every request
// the root client, oauth, login and c2 send goes through it, so that a
// rule holds everywhere once it holds anywhere.
//
//   - Where a credential may go ([CheckDestination], [Transport]): over
//     https, or over plain http only to a loopback address. A [Transport]
//     checks that at connect time, from the address the connection
//     reaches, never from the name; a transport the caller brought cannot
//     be checked, so plain http through it is allowed only to loopback IP
//     literals.
//   - Redirects ([Exchange.Send], [SameOrigin]): a request that carries a
//     credential never follows one; an API request follows one only to
//     the same scheme and host, without a Referer.
//   - Reading answers ([ReadAnswer], [ParseProblem]): bounded reads and one
//     parser of error bodies (RFC 6749 JSON, every RFC 6750 challenge,
//     FastAPI, {"message"}, plain text, HTML, form-encoded answers), whose
//     results are redacted, with every secret the client has seen, before
//     anything is cut.
//   - One Retry-After parser ([RetryAfter]), one [RequestError], one
//     [APIError], one transport constructor ([NewTransport]).
//
// The root package re-exports the types users match on ([APIError],
// [RequestError], [Challenge], [UntrustedCertificateError]) as aliases.
package httpx
