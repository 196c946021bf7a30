package bearer

import (
	"net/http"

	"github.com/bearer-go/bearer/internal/httpx"
)

// A Challenge is one parsed WWW-Authenticate challenge (RFC 9110 11.6.1),
// as servers send with a 401: Bearer realm="api", error="invalid_token",
// error_description="The access token expired" (RFC 6750 3). Scheme is the
// auth scheme as sent; Params has the parameter names in lower case, and a
// token68 under "".
type Challenge = httpx.Challenge

// ParseChallenge parses the first challenge of a WWW-Authenticate header
// value. It is lenient: malformed parameters end the parse, and an empty
// or unreadable header gives the zero Challenge. [ParseChallenges] reads
// them all.
func ParseChallenge(header string) Challenge {
	if cs := httpx.ParseChallenges([]string{header}); len(cs) > 0 {
		return cs[0]
	}
	return Challenge{}
}

// ParseChallenges parses every challenge of every WWW-Authenticate header
// of h, in order.
func ParseChallenges(h http.Header) []Challenge {
	return httpx.ParseChallenges(h.Values("WWW-Authenticate"))
}
