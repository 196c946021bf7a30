package login

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/expiry"
)

// FuzzParseTokens feeds login and refresh answers to the token parser: it
// must not panic, must take the access token only from a configured field,
// and must never quote the answer in its error.
func FuzzParseTokens(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.c","refresh_token":"r","token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.sig","user_id":1}`))
	f.Add([]byte(`{"access_token":"a","expires_in":"3600"}`))
	f.Add([]byte(`{"data":{"jwt":"a","refresh":"r"},"expires_in":1e400}`))
	f.Add([]byte(`{"token":"a.b.c","expires_in":-5}`))
	f.Add([]byte(`{"accessToken":"x","data":[1,2]}`))
	f.Add([]byte(`{"token":""}`))
	cfg := TokenConfig{AccessTokenFields: []string{"data.jwt", "access_token", "token", "accessToken"}}.withDefaults()
	issued := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]json.RawMessage
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		tok, err := parseTokens(raw, cfg, issued)
		if err != nil {
			if len(data) > 8 && strings.Contains(err.Error(), string(data)) {
				t.Errorf("error %q quotes the answer", err)
			}
			return
		}
		if tok.AccessToken == "" || tok.Expiry.IsZero() {
			t.Errorf("parseTokens(%s) = %+v; want an access token and an expiry", data, tok)
		}
		if tok.ExpiresIn > 0 && tok.Expiry.Sub(issued) > expiry.MaxLifetime {
			t.Errorf("expiry %v is beyond the cap", tok.Expiry)
		}
	})
}

func TestParseTokensExpiry(t *testing.T) {
	cfg := TokenConfig{}.withDefaults()
	issued := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// {"alg":"HS256"}.{"exp":1704070800} (2024-01-01T01:00:00Z), unsigned.
	const jwtAccess = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDQwNzA4MDB9.c2ln"
	tests := []struct {
		name, body string
		want       time.Time
	}{
		{"expires_in number", `{"access_token":"a","expires_in":600}`, issued.Add(10 * time.Minute)},
		{"expires_in string", `{"access_token":"a","expires_in":"600"}`, issued.Add(10 * time.Minute)},
		{"JWT exp", `{"token":"` + jwtAccess + `"}`, time.Unix(1704070800, 0)},
		{"expires_in earlier than exp wins", `{"token":"` + jwtAccess + `","expires_in":60}`, issued.Add(time.Minute)},
		{"exp earlier than expires_in wins", `{"token":"` + jwtAccess + `","expires_in":7200}`, time.Unix(1704070800, 0)},
		{"neither", `{"token":"opaque"}`, issued.Add(DefaultTokenLifetime)},
		{"bad expires_in", `{"token":"opaque","expires_in":"soon"}`, issued.Add(DefaultTokenLifetime)},
		{"huge expires_in", `{"token":"opaque","expires_in":1e12}`, issued.Add(expiry.MaxLifetime)},
	}
	for _, tt := range tests {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.body), &raw); err != nil {
			t.Fatal(err)
		}
		tok, err := parseTokens(raw, cfg, issued)
		if err != nil || !tok.Expiry.Equal(tt.want) {
			t.Errorf("%s: expiry = %v, %v; want %v", tt.name, tok.Expiry, err, tt.want)
		}
	}
}
