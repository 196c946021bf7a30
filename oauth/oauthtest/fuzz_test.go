package oauthtest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

// FuzzTokenEndpoint feeds the token endpoint arbitrary forms and
// Authorization headers. It must answer a JSON body with a 2xx or 4xx
// status, never echo the client secret, and answer 200 only with a token.
func FuzzTokenEndpoint(f *testing.F) {
	srv, err := oauthtest.New(oauthtest.Config{Key: testkeys.RSA()})
	if err != nil {
		f.Fatal(err)
	}
	u := srv.AddUser("a@example.com", "pw")
	c, err := srv.AddClient(oauthtest.Client{UserID: u.ID, ClientID: "id:1", ClientSecret: secret.New("se+cret")})
	if err != nil {
		f.Fatal(err)
	}
	basicOf := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	f.Add("grant_type=password&username=a%40example.com&password=pw", "")
	f.Add("grant_type=client_credentials", basicOf("id%3A1:se%2Bcret"))
	f.Add("grant_type=client_credentials&client_id=id%3A1&client_secret=se%2Bcret", "")
	f.Add("grant_type=client_credentials&client_assertion_type=x&client_assertion=a.b.c", "Bearer x")
	f.Add("grant_type=client_credentials", basicOf("%zz:%"))
	f.Add("grant_type=%ff&&=;", "Basic !!")
	f.Fuzz(func(t *testing.T, body, authorization string) {
		req := httptest.NewRequest(http.MethodPost, "http://auth.test"+oauthtest.TokenPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("token(%q, %q) = %d %s; want 2xx or 4xx", body, authorization, rec.Code, rec.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("token(%q, %q) body %q is not a JSON object", body, authorization, rec.Body)
		}
		if strings.Contains(rec.Body.String(), c.ClientSecret.Reveal()) {
			t.Fatalf("token(%q, %q) answer %s holds the client secret", body, authorization, rec.Body)
		}
		if rec.Code == http.StatusOK && (m["access_token"] == nil || m["token_type"] != "bearer") {
			t.Fatalf("token(%q, %q) = 200 %s; want a bearer access token", body, authorization, rec.Body)
		}
	})
}
