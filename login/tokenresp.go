package login

import (
	"encoding/json"

	"github.com/bearer-go/bearer/internal/expiry"

	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// parseTokens reads a login or refresh answer: the access token and
// refresh token from the first of cfg's fields present, the expiry from
// cfg.ExpiresInField counted from issued, else the access token's JWT exp
// claim, else cfg.DefaultLifetime. The answer's other top-level fields are
// kept in the token's Extra (a user id, say). An error never quotes the
// answer.
func parseTokens(raw map[string]json.RawMessage, cfg TokenConfig, issued time.Time) (*oauth2.Token, error) {
	access := firstString(raw, cfg.AccessTokenFields)
	if access == "" {
		return nil, fmt.Errorf("the answer has no access token in %s", strings.Join(cfg.AccessTokenFields, ", "))
	}
	tok := &oauth2.Token{AccessToken: access, TokenType: "Bearer", RefreshToken: firstString(raw, cfg.RefreshTokenFields)}
	expiresIn := lookup(raw, cfg.ExpiresInField)
	if d, ok := expiry.ParseExpiresIn(expiresIn); ok {
		tok.ExpiresIn = int64(d / time.Second)
	}
	tok.Expiry = issued.Add(cfg.DefaultLifetime)
	if exp, ok := expiry.Earliest(issued, expiresIn, access); ok {
		tok.Expiry = exp
	}
	return tok.WithExtra(extraFields(raw, cfg)), nil
}

// lookup returns the JSON value at path, whose dots reach into nested
// objects; nil if there is none.
func lookup(raw map[string]json.RawMessage, path string) json.RawMessage {
	obj := raw
	parts := strings.Split(path, ".")
	for i, p := range parts {
		v, ok := obj[p]
		if !ok {
			return nil
		}
		if i == len(parts)-1 {
			return v
		}
		obj = nil
		if json.Unmarshal(v, &obj) != nil {
			return nil
		}
	}
	return nil
}

// firstString returns the first non-empty string among the fields at paths.
func firstString(raw map[string]json.RawMessage, paths []string) string {
	for _, p := range paths {
		var s string
		if v := lookup(raw, p); len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// extraFields returns the answer's top-level fields but those that hold
// the tokens.
func extraFields(raw map[string]json.RawMessage, cfg TokenConfig) map[string]any {
	skip := map[string]bool{}
	for _, p := range append(append([]string(nil), cfg.AccessTokenFields...), cfg.RefreshTokenFields...) {
		top, _, _ := strings.Cut(p, ".")
		skip[top] = true
	}
	extra := make(map[string]any, len(raw))
	for k, v := range raw {
		var x any
		if !skip[k] && json.Unmarshal(v, &x) == nil {
			extra[k] = x
		}
	}
	return extra
}
