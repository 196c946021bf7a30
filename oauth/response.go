package oauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bearer-go/bearer/internal/expiry"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/oneline"
	"golang.org/x/oauth2"
)

// tokenJSON is the part of a token response (RFC 6749 5.1) this package
// reads; every field is also kept in the token's Extra.
type tokenJSON struct {
	AccessToken  string          `json:"access_token"`
	TokenType    string          `json:"token_type"`
	RefreshToken string          `json:"refresh_token"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	Error        json.RawMessage `json:"error"`
}

// parseTokenResponse turns an answer of the token endpoint into a token,
// or an error: an [*Error] for an error answer (a 2xx that carries error
// included), a plain error for a 2xx that is not a token response. issued
// is when the request was sent; expires_in counts from it. secrets are
// removed from every error.
func parseTokenResponse(a *answer, issued time.Time, lifetime time.Duration, secrets []string) (*oauth2.Token, error) {
	if a.status < 200 || a.status > 299 {
		return nil, newError(a, secrets)
	}
	if a.oversize {
		return nil, fmt.Errorf("oauth: %s answered %d with more than %d bytes, which is no token response: check the token URL", a.endpoint, a.status, MaxResponseBytes)
	}
	body := bytes.TrimSpace(a.body)
	if len(body) == 0 || body[0] != '{' {
		p, _ := a.raw.Redacted(a.reg, 0, secrets...)
		return nil, fmt.Errorf("oauth: %s answered %d with %s instead of a JSON token response: check the token URL",
			a.endpoint, a.status, p.Describe())
	}
	var tj tokenJSON
	var extra map[string]any
	if json.Unmarshal(body, &tj) != nil || json.Unmarshal(body, &extra) != nil {
		// The decoder's message could quote the body: do not wrap it.
		return nil, fmt.Errorf("oauth: %s answered %d with malformed JSON instead of a token response", a.endpoint, a.status)
	}
	if len(tj.Error) > 0 && string(tj.Error) != "null" {
		return nil, newError(a, secrets)
	}
	if tj.AccessToken == "" {
		return nil, fmt.Errorf("oauth: %s answered %d without an access_token", a.endpoint, a.status)
	}
	tok := &oauth2.Token{AccessToken: tj.AccessToken, TokenType: tj.TokenType, RefreshToken: tj.RefreshToken}
	if d, ok := expiry.ParseExpiresIn(tj.ExpiresIn); ok {
		tok.ExpiresIn = int64(d / time.Second)
	}
	tok.Expiry = issued.Add(lifetime)
	if exp, ok := expiry.Earliest(issued, tj.ExpiresIn, tj.AccessToken); ok {
		tok.Expiry = exp
	}
	return tok.WithExtra(extra), nil
}

// newError builds the [*Error] of an error answer, read by the SDK's one
// parser of error answers. The body is redacted, with the endpoint's
// registry, secrets, and every value it labels secret itself, before it
// is parsed or cut, so no part of a secret survives a cut.
func newError(a *answer, secrets []string) *Error {
	p, body := a.raw.Redacted(a.reg, MaxErrorBody, secrets...)
	return &Error{
		Endpoint:    a.endpoint,
		StatusCode:  a.status,
		Code:        p.Code,
		Description: p.Message,
		URI:         p.URI,
		Body:        body,
		retryAfter:  httpx.RetryAfter(a.header, a.now),
		realm:       p.Realm(),
	}
}

// jsonText renders a JSON string, or a number, as text; "" otherwise.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// maxMessage bounds one message field: longer is a page, not a message.
const maxMessage = httpx.MaxMessage

// clean makes s safe to print on one line, at most maxMessage bytes.
func clean(s string) string { return oneline.Clean(s, maxMessage) }
