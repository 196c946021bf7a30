package bearer

import "strings"

// A Challenge is one parsed WWW-Authenticate challenge (RFC 9110 11.6.1),
// as servers send with a 401: Bearer realm="api", error="invalid_token",
// error_description="The access token expired" (RFC 6750 3).
type Challenge struct {
	Scheme string            // the auth scheme, as sent ("Bearer")
	Params map[string]string // parameter names in lower case
}

// maxChallengeLen bounds the header text ParseChallenge reads.
const maxChallengeLen = 4 << 10

// ParseChallenge parses the first challenge of a WWW-Authenticate header.
// It is lenient: malformed parameters are skipped, and an empty or
// unreadable header gives the zero Challenge.
func ParseChallenge(header string) Challenge {
	if len(header) > maxChallengeLen {
		header = header[:maxChallengeLen]
	}
	s := strings.TrimSpace(header)
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		if s == "" || strings.ContainsAny(s, "=,\"") {
			return Challenge{}
		}
		return Challenge{Scheme: s, Params: map[string]string{}}
	}
	c := Challenge{Scheme: s[:i], Params: map[string]string{}}
	if strings.ContainsAny(c.Scheme, "=,\"") {
		return Challenge{}
	}
	rest := s[i:]
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return c
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return c
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		if strings.ContainsAny(name, " \t,\"") {
			return c // the next challenge begins: "Basic realm=…"
		}
		value, after, ok := paramValue(rest[eq+1:])
		if !ok {
			return c
		}
		if _, dup := c.Params[name]; !dup {
			c.Params[name] = value
		}
		rest = after
	}
}

// paramValue reads a token or a quoted string from the start of s.
func paramValue(s string) (value, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t")
	if !strings.HasPrefix(s, `"`) {
		end := strings.IndexAny(s, " \t,")
		if end < 0 {
			end = len(s)
		}
		return s[:end], s[end:], end > 0
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}
