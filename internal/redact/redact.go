// Package redact removes secrets from strings and URLs before they reach an
// error message or a log line.
package redact

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Placeholder replaces every secret that is removed.
const Placeholder = "REDACTED"

// minSecretLen is the shortest value String scrubs: replacing one- or
// two-character values would mangle ordinary words without protecting
// anything worth protecting.
const minSecretLen = 4

// String returns s with every occurrence of each secret replaced by
// [Placeholder]. Empty and very short secrets are ignored.
func String(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < minSecretLen {
			continue
		}
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Placeholder)
		}
		// Secrets also travel percent-encoded in URLs and forms.
		if esc := url.QueryEscape(sec); esc != sec && strings.Contains(s, esc) {
			s = strings.ReplaceAll(s, esc, Placeholder)
		}
	}
	return s
}

// sensitiveParams are query and form keys whose values are always secret.
var sensitiveParams = []string{
	"access_token", "refresh_token", "id_token", "token", "code",
	"client_secret", "client_assertion", "password", "secret",
	"api_key", "apikey", "key", "signature", "sig", "assertion",
}

// IsSensitiveParam reports whether a query or form key carries a secret.
func IsSensitiveParam(key string) bool {
	k := strings.ToLower(key)
	for _, p := range sensitiveParams {
		if k == p {
			return true
		}
	}
	return strings.Contains(k, "secret") || strings.Contains(k, "password") || strings.Contains(k, "token")
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

// Opaque prints a value of a type that holds secrets and state in motion
// (a client, a Refresher) as its type name alone, whatever the verb:
// fmt then never walks its fields, which would race with the goroutines
// that change them. Such types have a one-line Format method that calls
// it.
func Opaque(f fmt.State, typeName string) {
	io.WriteString(f, typeName+"{"+Placeholder+"}")
}
