package oauth_test

import (
	"net/http"
	"testing"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// FuzzParseTokenResponse feeds the token response parser arbitrary
// statuses and bodies: it must never panic, must give a token or an error
// (never both, never neither), must never give a token that lives forever
// or has no access token, and must keep its error messages bounded.
func FuzzParseTokenResponse(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"access_token":"a","token_type":"bearer","expires_at":1665080017,"expires_in":839}`},
		{200, `{"access_token":"a","expires_in":"3600"}`},
		{200, `{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE2NjUwODAwNzd9.x"}`},
		{200, `{"access_token":"a","expires_in":1e400}`},
		{200, `{"access_token":"a","expires_in":-5}`},
		{200, `{"error":"server_error"}`},
		{200, `<html><title>x</title></html>`},
		{400, `{"detail":"LOGIN_BAD_CREDENTIALS"}`},
		{422, `{"detail":[{"loc":["body",1],"msg":"m"}]}`},
		{401, `{"error":{"code":1}}`},
		{503, "\xff\xfe"},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = 100 + abs(status)%500
		tok, err := oauth.ParseTokenResponse(status, http.Header{"Retry-After": {"5"}}, body, epoch)
		if (tok == nil) == (err == nil) {
			t.Fatalf("parse(%d, %q) = %v, %v; want exactly one of token and error", status, body, tok, err)
		}
		if err != nil {
			if len(err.Error()) > 2000 {
				t.Errorf("error message is %d bytes long", len(err.Error()))
			}
			_ = tokenrefresh.IsPermanent(err)
			return
		}
		if tok.AccessToken == "" || tok.Expiry.IsZero() {
			t.Errorf("parse(%d, %q) = %+v; want an access token with an expiry", status, body, tok)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // the smallest int
			return 0
		}
		return -n
	}
	return n
}
