package oauth

import (
	"net/http"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// ParseTokenResponse exposes the token response parser to the fuzz target.
func ParseTokenResponse(status int, header http.Header, body []byte, now time.Time) (*oauth2.Token, error) {
	raw := &httpx.Answer{Method: "POST", StatusCode: status, Header: header, Body: body}
	if len(body) > MaxResponseBytes {
		raw.Body, raw.Oversize = body[:MaxResponseBytes], true
	}
	a := &answer{endpoint: "https://as.example/token", status: status, header: header, body: raw.Body, oversize: raw.Oversize,
		now: now, raw: raw, reg: new(redact.Registry)}
	return parseTokenResponse(a, now, DefaultTokenLifetime, nil)
}
