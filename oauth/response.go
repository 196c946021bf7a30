package oauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bearer-go/bearer/internal/expiry"
	"github.com/bearer-go/bearer/internal/oneline"
	"github.com/bearer-go/bearer/internal/redact"
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
		text := redact.String(string(body), secrets...)
		return nil, fmt.Errorf("oauth: %s answered %d with %s instead of a JSON token response: check the token URL",
			a.endpoint, a.status, describeBody(a.header, []byte(text)))
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

// newError builds the [*Error] of an error answer. The body is redacted
// before it is parsed or cut, so no part of a secret survives a cut.
func newError(a *answer, secrets []string) *Error {
	text := redact.String(string(a.body), secrets...)
	e := &Error{
		Endpoint:   a.endpoint,
		StatusCode: a.status,
		Body:       cutUTF8(text, MaxErrorBody),
		retryAfter: parseRetryAfter(a.header, a.now),
	}
	parseErrorBody(e, a.header, []byte(text))
	e.Code = redact.String(e.Code, secrets...)
	e.Description = redact.String(e.Description, secrets...)
	e.URI = redact.String(e.URI, secrets...)
	return e
}

// errorJSON holds the fields of the error documents servers send: RFC
// 6749 5.2, FastAPI's {"detail": …} and {"message": …}.
type errorJSON struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription json.RawMessage `json:"error_description"`
	ErrorURI         json.RawMessage `json:"error_uri"`
	Detail           json.RawMessage `json:"detail"`
	Message          json.RawMessage `json:"message"`
}

// parseErrorBody fills e's Code, Description and URI from a body whose
// secrets are already removed.
func parseErrorBody(e *Error, h http.Header, body []byte) {
	body = bytes.TrimSpace(body)
	var j errorJSON
	switch {
	case len(body) > 0 && body[0] == '{' && json.Unmarshal(body, &j) == nil:
		e.Code = clean(jsonText(j.Error))
		e.Description = clean(jsonText(j.ErrorDescription))
		e.URI = clean(jsonText(j.ErrorURI))
		for _, d := range []string{detailText(j.Detail), clean(jsonText(j.Message))} {
			switch {
			case d == "":
			case e.Code == "" && looksLikeCode(d):
				e.Code = d
			case e.Description == "":
				e.Description = d
			}
		}
	case len(body) > 0:
		e.Description = describeBody(h, body)
	}
}

// describeBody says what a body that is not JSON is: an HTML page (with
// its title) or text (its first line).
func describeBody(h http.Header, body []byte) string {
	body = bytes.TrimSpace(body)
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case len(body) == 0:
		return "an empty body"
	case mt == "text/html" || body[0] == '<':
		if t := htmlTitle(body); t != "" {
			return "an HTML page (" + t + ")"
		}
		return "an HTML page"
	}
	line, _, _ := bytes.Cut(body, []byte("\n"))
	return "text (" + clean(string(line)) + ")"
}

func htmlTitle(body []byte) string { return oneline.HTMLTitle(body, maxMessage) }

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

// detailText renders a FastAPI detail: a string, or a validation list of
// {"loc": […], "msg": "…"} joined with "; ".
func detailText(raw json.RawMessage) string {
	if s := jsonText(raw); s != "" {
		return clean(s)
	}
	var items []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(raw, &items) != nil {
		return ""
	}
	var parts []string
	for _, it := range items {
		var loc []string
		for _, l := range it.Loc {
			loc = append(loc, fmt.Sprint(l))
		}
		parts = append(parts, strings.TrimPrefix(strings.Join(loc, ".")+": ", ": ")+it.Msg)
	}
	return clean(strings.Join(parts, "; "))
}

// looksLikeCode reports whether s is a machine code (invalid_grant,
// LOGIN_BAD_CREDENTIALS) rather than a sentence.
func looksLikeCode(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// maxMessage bounds one message field: longer is a page, not a message.
const maxMessage = 300

// clean makes s safe to print on one line, at most maxMessage bytes.
func clean(s string) string { return oneline.Clean(s, maxMessage) }

// cutUTF8 returns at most n bytes of s, not splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
