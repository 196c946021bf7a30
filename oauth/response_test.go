package oauth_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/golang-jwt/jwt/v5"
)

var postAuth = oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "app", Secret: secret.New("app-secret-value")}

// unsignedJWT returns a JWT-shaped access token with claims; the client
// never verifies it.
func unsignedJWT(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("server-side-key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenResponseShapes(t *testing.T) {
	jwtAccess := unsignedJWT(t, jwt.MapClaims{"exp": epoch.Add(14 * time.Minute).Unix()})
	tests := []struct {
		name       string
		body       string
		wantExpiry time.Time
		wantType   string
		check      func(t *testing.T, extra func(string) any)
	}{
		{"expires_in number", `{"access_token":"a","token_type":"bearer","expires_in":839}`, epoch.Add(839 * time.Second), "Bearer", nil},
		{"expires_in string", `{"access_token":"a","token_type":"Bearer","expires_in":"3600"}`, epoch.Add(time.Hour), "Bearer", nil},
		{"expires_in fraction", `{"access_token":"a","expires_in":60.9}`, epoch.Add(60 * time.Second), "Bearer", nil},
		{"expires_in zero falls back", `{"access_token":"a","expires_in":0}`, epoch.Add(oauth.DefaultTokenLifetime), "Bearer", nil},
		{"expires_in garbage falls back", `{"access_token":"a","expires_in":"soon"}`, epoch.Add(oauth.DefaultTokenLifetime), "Bearer", nil},
		{"JWT exp", `{"access_token":"` + jwtAccess + `","token_type":"bearer"}`, epoch.Add(14 * time.Minute), "Bearer", nil},
		// The server stops accepting the token at exp: an expires_in
		// counted later must not outlive it.
		{"JWT exp earlier than expires_in", `{"access_token":"` + jwtAccess + `","expires_in":900}`, epoch.Add(14 * time.Minute), "Bearer", nil},
		{"expires_in earlier than JWT exp", `{"access_token":"` + jwtAccess + `","expires_in":600}`, epoch.Add(10 * time.Minute), "Bearer", nil},
		{"opaque, no expiry", `{"access_token":"opaque","token_type":"bearer"}`, epoch.Add(oauth.DefaultTokenLifetime), "Bearer", nil},
		{"Climate Engine shape keeps expires_at", `{"access_token":"a","token_type":"bearer","expires_at":1665080017,"expires_in":839}`,
			epoch.Add(839 * time.Second), "Bearer", func(t *testing.T, extra func(string) any) {
				if got, _ := extra("expires_at").(float64); got != 1665080017 {
					t.Errorf("Extra(expires_at) = %v; want 1665080017", extra("expires_at"))
				}
			}},
		{"id_token and scope kept", `{"access_token":"a","expires_in":60,"scope":"read","id_token":"x.y.z"}`, epoch.Add(time.Minute), "Bearer",
			func(t *testing.T, extra func(string) any) {
				if extra("scope") != "read" || extra("id_token") != "x.y.z" {
					t.Errorf("Extra(scope), Extra(id_token) = %v, %v", extra("scope"), extra("id_token"))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 200, tt.body)
			tok, err := clientCredentials(t, ts.URL, postAuth).Token(bounded(t))
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			if !tok.Expiry.Equal(tt.wantExpiry) || tok.Type() != tt.wantType {
				t.Errorf("Token() expiry, type = %v, %q; want %v, %q", tok.Expiry, tok.Type(), tt.wantExpiry, tt.wantType)
			}
			if tt.check != nil {
				tt.check(t, tok.Extra)
			}
		})
	}
}

func TestDefaultLifetimeIsConfigurable(t *testing.T) {
	ts := newTokenServer(t, 200, `{"access_token":"opaque"}`)
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: ts.URL, Client: postAuth,
		Settings: oauth.Settings{Now: fixedNow, DefaultLifetime: 10 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cc.Token(bounded(t))
	if err != nil || !tok.Expiry.Equal(epoch.Add(10*time.Minute)) {
		t.Errorf("Token() = %v, %v; want expiry %v", tok, err, epoch.Add(10*time.Minute))
	}
}

func TestErrorShapes(t *testing.T) {
	html := "<html><head><title>502 Server Error</title></head><body>Bad gateway</body></html>"
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		code, desc string
		permanent  bool
		is         error
		retryAfter time.Duration
	}{
		{"RFC 6749 invalid_grant", 400, nil, `{"error":"invalid_grant","error_description":"refresh token expired","error_uri":"https://as.example/e"}`,
			"invalid_grant", "refresh token expired", true, oauth.ErrInvalidGrant, 0},
		{"invalid_client with Basic challenge", 401, http.Header{"Www-Authenticate": {`Basic realm="token"`}}, `{"error":"invalid_client"}`,
			"invalid_client", "", true, oauth.ErrInvalidClient, 0},
		{"unauthorized_client", 400, nil, `{"error":"unauthorized_client"}`, "unauthorized_client", "", true, oauth.ErrInvalidClient, 0},
		{"FastAPI bad credentials", 400, nil, `{"detail":"LOGIN_BAD_CREDENTIALS"}`, "LOGIN_BAD_CREDENTIALS", "", true, oauth.ErrInvalidGrant, 0},
		{"FastAPI validation list", 422, nil, `{"detail":[{"loc":["body","username"],"msg":"Field required"}]}`,
			"", "body.username: Field required", true, nil, 0},
		{"FastAPI sentence", 400, nil, `{"detail":"Not a valid grant for this client"}`, "", "Not a valid grant for this client", true, nil, 0},
		{"error in a 200", 200, nil, `{"error":"server_error","error_description":"try later"}`, "server_error", "try later", false, nil, 0},
		{"invalid_grant in a 200", 200, nil, `{"error":"invalid_grant"}`, "invalid_grant", "", true, oauth.ErrInvalidGrant, 0},
		{"HTML 502", 502, http.Header{"Content-Type": {"text/html"}}, html, "", "HTML page: 502 Server Error", false, nil, 0},
		{"503 Retry-After", 503, http.Header{"Retry-After": {"7"}}, `{"detail":"Service Unavailable"}`, "", "Service Unavailable", false, nil, 7 * time.Second},
		{"429 is not permanent", 429, http.Header{"Retry-After": {"2"}}, `{"error":"slow_down"}`, "slow_down", "", false, nil, 2 * time.Second},
		{"408 is not permanent", 408, nil, ``, "", "", false, nil, 0},
		{"plain text 404", 404, nil, "404 page not found\nmore", "", "404 page not found", true, nil, 0},
		{"temporarily_unavailable in a 400", 400, nil, `{"error":"temporarily_unavailable"}`, "temporarily_unavailable", "", false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, tt.status, tt.body)
			ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			_, err := clientCredentials(t, ts.URL, postAuth).Token(bounded(t))
			var oe *oauth.Error
			if !errors.As(err, &oe) {
				t.Fatalf("Token() = %v; want an *oauth.Error", err)
			}
			if oe.StatusCode != tt.status || oe.Code != tt.code || oe.Description != tt.desc {
				t.Errorf("Error = status %d code %q description %q; want %d %q %q", oe.StatusCode, oe.Code, oe.Description, tt.status, tt.code, tt.desc)
			}
			if got := tokenrefresh.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v; want %v", err, got, tt.permanent)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if oe.RetryAfter() != tt.retryAfter {
				t.Errorf("RetryAfter() = %v; want %v", oe.RetryAfter(), tt.retryAfter)
			}
			if len(oe.Body) > oauth.MaxErrorBody || !strings.HasPrefix(tt.body, oe.Body) {
				t.Errorf("Body = %q; want the start of the body, at most %d bytes", oe.Body, oauth.MaxErrorBody)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "oauth: ") || strings.Contains(msg, "\n") || strings.HasSuffix(msg, ".") {
				t.Errorf("Error() = %q; want one line with the package prefix and no final period", msg)
			}
		})
	}
}

func TestPermanentErrorsGiveAdvice(t *testing.T) {
	ts := newTokenServer(t, 401, `{"error":"invalid_client"}`)
	_, err := clientCredentials(t, ts.URL, postAuth).Token(bounded(t))
	if err == nil || !strings.Contains(err.Error(), "check the client id") {
		t.Errorf("Token() = %v; want advice to check the client credentials", err)
	}
}

func TestNotATokenResponse(t *testing.T) {
	big := `{"access_token":"` + strings.Repeat("a", oauth.MaxResponseBytes) + `"}`
	tests := []struct {
		name, ctype, body, want string
	}{
		{"HTML 200", "text/html", "<!doctype html><html><head><title>Sign in</title></head></html>", "HTML page (Sign in)"},
		{"empty 200", "", "", "an empty body"},
		{"malformed JSON", "application/json", `{"access_token": "a",`, "malformed JSON"},
		{"no access_token", "application/json", `{"token_type":"bearer"}`, "without an access_token"},
		{"access_token not a string", "application/json", `{"access_token":42}`, "malformed JSON"},
		{"oversized 200", "application/json", big, "more than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 200, "")
			ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.Write([]byte(tt.body))
			})
			_, err := clientCredentials(t, ts.URL, postAuth).Token(bounded(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Token() = %v; want an error containing %q", err, tt.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("Error() is %d bytes long; want a bounded message", len(err.Error()))
			}
			if tokenrefresh.IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = true; a 200 that is no token may be a passing fault", err)
			}
		})
	}
}

func TestOversizedErrorBodyIsBounded(t *testing.T) {
	ts := newTokenServer(t, 400, "")
	ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(strings.Repeat("x", 3*oauth.MaxResponseBytes)))
	})
	_, err := clientCredentials(t, ts.URL, postAuth).Token(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || len(oe.Body) != oauth.MaxErrorBody || len(oe.Description) > 400 || !oe.Permanent() {
		t.Errorf("Token() = %v; want a permanent *Error with a body of %d bytes", err, oauth.MaxErrorBody)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	target := newTokenServer(t, 200, okToken)
	ts := newTokenServer(t, 307, "")
	ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/token", http.StatusTemporaryRedirect)
	})
	_, err := clientCredentials(t, ts.URL, postAuth).Token(bounded(t))
	if err == nil {
		t.Fatal("Token() through a redirect = nil error; want a refusal")
	}
	if n := len(target.requests()); n != 0 {
		t.Errorf("the redirect target received %d requests carrying the client secret; want 0", n)
	}
}

func TestTransportErrorIsARequestError(t *testing.T) {
	ts := newTokenServer(t, 200, okToken)
	cc := clientCredentials(t, ts.URL+"/token?x=1&api-key=query-secret", postAuth)
	ts.Close()
	_, err := cc.Token(bounded(t))
	var re *oauth.RequestError
	if !errors.As(err, &re) || tokenrefresh.IsPermanent(err) || strings.Contains(err.Error(), "query-secret") || !strings.Contains(err.Error(), "/token") {
		t.Errorf("Token() against a closed server = %v; want a retryable *RequestError naming the endpoint without its secret query values", err)
	}
}
