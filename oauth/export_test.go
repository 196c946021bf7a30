package oauth

import (
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// ParseTokenResponse exposes the token response parser to the fuzz target.
func ParseTokenResponse(status int, header http.Header, body []byte, now time.Time) (*oauth2.Token, error) {
	a := &answer{endpoint: "https://as.example/token", status: status, header: header, body: body, now: now}
	if len(body) > MaxResponseBytes {
		a.body, a.oversize = body[:MaxResponseBytes], true
	}
	return parseTokenResponse(a, now, DefaultTokenLifetime, nil)
}
