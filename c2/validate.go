package c2

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
)

// Placeholder is the text the C2 notebooks hold where a token belongs.
// [New] refuses it, and anything else in angle brackets.
const Placeholder = "<paste your token from charon here>"

// maxTokenLen bounds the tokens New accepts: C2's are 32 characters, and
// anything near this long was pasted from the wrong place.
const maxTokenLen = 1024

// parseRoot checks that apiRoot is an absolute https URL (or http to this
// machine, for tests and the fake) and returns it without a trailing
// slash. token is redacted from the message, in case the arguments were
// swapped.
func parseRoot(apiRoot, token string) (string, error) {
	u, err := url.Parse(apiRoot)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		// Not quoted: a root that is no URL may be a token passed in the
		// wrong place.
		return "", fmt.Errorf("c2: the API root (%s) is not an absolute http or https URL such as %s (New takes the root first, then the token)",
			describeRoot(u, err), ProductionAPIRoot)
	case u.User != nil:
		return "", errors.New("c2: the API root must not carry a user name or password: C2 authenticates with the token alone")
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("c2: API root %s must not have a query or fragment", redact.URL(u, token))
	// Names of this machine pass here; where they lead is checked when
	// each connection is made (internal/httpx).
	case u.Scheme == "http" && httpx.Destination{Checked: true}.Check("c2", u) != nil:
		return "", fmt.Errorf("c2: API root %s is plain http: tokens are sent only over https, or over http to this machine", redact.URL(u, token))
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// describeRoot says what is wrong with a root that is not an absolute
// http(s) URL, without quoting it.
func describeRoot(u *url.URL, err error) string {
	switch {
	case err != nil:
		return "unparsable"
	case u.Scheme == "":
		return "no scheme"
	case u.Scheme != "https" && u.Scheme != "http":
		return "scheme " + strconv.Quote(u.Scheme)
	}
	return "no host"
}

// checkToken refuses what cannot be a C2 token, before anything is sent.
// Its messages never quote the token.
func checkToken(token, issueURL string) error {
	switch {
	case token == "":
		return fmt.Errorf("c2: the token is empty: issue one at %s and pass it", issueURL)
	case token == Placeholder:
		return fmt.Errorf("c2: the token is still the notebooks' placeholder %q: issue a token at %s and paste it instead", Placeholder, issueURL)
	case strings.ContainsAny(token, "<>"):
		return fmt.Errorf("c2: the token contains < or >, so it is a placeholder, not a token: issue one at %s", issueURL)
	case strings.IndexFunc(token, unicode.IsSpace) >= 0:
		return errors.New("c2: the token contains spaces or line breaks: copy it again, or trim what you read from a file")
	case strings.IndexFunc(token, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return errors.New("c2: the token contains control or invalid characters: copy it again")
	case len(token) > maxTokenLen:
		return fmt.Errorf("c2: the token is %d bytes long; C2 tokens are 32 characters: check what was passed", len(token))
	}
	return nil
}
