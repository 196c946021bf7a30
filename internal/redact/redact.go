// Package redact removes secrets from strings and URLs before they reach an
// error message or a log line.
package redact

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Placeholder replaces every secret that is removed.
const Placeholder = "REDACTED"

// minSecretLen is the shortest value String scrubs: replacing one- or
// two-character values would mangle ordinary words without protecting
// anything worth protecting.
const minSecretLen = 4

// String returns s with every occurrence of each secret, in every
// encoding [Registry.Redact] knows, replaced by [Placeholder]. Empty and
// very short secrets are ignored.
func String(s string, secrets ...string) string {
	return (*Registry)(nil).Redact(s, secrets...)
}

// sensitiveParams are query and form keys whose values are always
// secret, written in lower case with '_' for '-' (see normalizeParam):
// OAuth's (RFC 6749, RFC 7523, OpenID Connect), API keys, signed URLs'
// (AWS SigV4, Google Cloud Storage), sessions and passwords.
var sensitiveParams = []string{
	"access_token", "refresh_token", "id_token", "token", "code",
	"client_secret", "client_assertion", "password", "secret",
	"api_key", "apikey", "key", "signature", "sig", "assertion",
	"auth", "jwt", "x_amz_signature", "x_amz_credential", "x_goog_signature",
	"sessionid", "session_id", "private_key", "pw", "passwd", "pwd", "credentials",
}

// sensitiveParts are parts of keys that make any key holding them secret:
// x_api_key, db_password, session_token, x_amz_security_token.
var sensitiveParts = []string{"secret", "password", "passwd", "token", "api_key", "apikey", "private_key", "signature", "credential"}

// IsSensitiveParam reports whether a query or form key carries a secret.
// Case does not matter, and '-' and '_' are alike: X-Amz-Signature is
// x_amz_signature.
func IsSensitiveParam(key string) bool {
	k := normalizeParam(key)
	if slices.Contains(sensitiveParams, k) {
		return true
	}
	for _, p := range sensitiveParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// normalizeParam returns key in lower case with every '-' made '_'.
func normalizeParam(key string) string {
	return strings.ReplaceAll(strings.ToLower(key), "-", "_")
}

// URL returns u as a string with user info, the values of sensitive query
// parameters, and every given secret (for example a token in the path)
// replaced by [Placeholder]. A nil URL gives "".
func URL(u *url.URL, secrets ...string) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		c.User = url.User(Placeholder)
	}
	// "user:password@host" parses as the scheme "user" and an opaque
	// "password@host".
	if at := strings.LastIndexByte(c.Opaque, '@'); at >= 0 {
		c.Opaque = Placeholder + c.Opaque[at:]
	}
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k, vs := range q {
			if IsSensitiveParam(k) {
				for i := range vs {
					vs[i] = Placeholder
				}
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	c.Fragment = ""
	c.RawFragment = ""
	return String(c.String(), secrets...)
}

// RawURL returns raw, a URL as a caller wrote it, for a message: as
// [URL] does if it parses; otherwise with its user info and everything
// from its query on replaced by [Placeholder], since an address that does
// not parse cannot be told apart into harmless and secret parts.
func RawURL(raw string, secrets ...string) string {
	if u, err := url.Parse(raw); err == nil {
		return URL(u, secrets...)
	}
	rest := raw
	scheme, afterScheme, ok := strings.Cut(raw, "://")
	if ok {
		rest = afterScheme
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i] + "?" + Placeholder
	}
	authority, _, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		rest = Placeholder + rest[at:]
	}
	if ok {
		rest = scheme + "://" + rest
	}
	return String(rest, secrets...)
}

// Opaque prints a value of a type that holds secrets and state in motion
// (a client, a Refresher) as its type name alone, whatever the verb:
// fmt then never walks its fields, which would race with the goroutines
// that change them. Such types have a one-line Format method that calls
// it.
func Opaque(f fmt.State, typeName string) {
	io.WriteString(f, typeName+"{"+Placeholder+"}")
}
