package oauthtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/golang-jwt/jwt/v5"
)

func TestPasswordGrantIssuesSeedShapedToken(t *testing.T) {
	f := setup(t)
	a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if a.status != http.StatusOK {
		t.Fatalf("token = %d %s; want 200", a.status, a.body)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	var tok tokenAnswer
	if err := json.Unmarshal(a.body, &tok); err != nil {
		t.Fatal(err)
	}
	now := seedTime.Unix()
	want := tokenAnswer{AccessToken: tok.AccessToken, TokenType: "bearer", ExpiresAt: now + 840, ExpiresIn: 840}
	if tok != want {
		t.Errorf("answer = %+v; want %+v", tok, want)
	}

	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser(jwt.WithTimeFunc(f.clock.Now)).ParseWithClaims(tok.AccessToken, claims,
		func(*jwt.Token) (any, error) { return f.srv.PublicKey(), nil })
	if err != nil {
		t.Fatalf("access token does not verify with PublicKey: %v", err)
	}
	if parsed.Method.Alg() != "RS256" || parsed.Header["typ"] != "JWT" {
		t.Errorf("header = %v; want alg RS256, typ JWT", parsed.Header)
	}
	if claims["user_id"] != f.user.ID || claims["iss"] != oauthtest.DefaultIssuer {
		t.Errorf("user_id, iss = %v, %v; want %v, %v", claims["user_id"], claims["iss"], f.user.ID, oauthtest.DefaultIssuer)
	}
	aud, _ := claims.GetAudience()
	if !slices.Equal(aud, []string{oauthtest.DefaultIssuer, oauthtest.DefaultAPIAudience}) {
		t.Errorf("aud = %v; want [auth api]", aud)
	}
	if claims["iat"] != float64(now) || claims["exp"] != float64(now+900) {
		t.Errorf("iat, exp = %v, %v; want %d, %d", claims["iat"], claims["exp"], now, now+900)
	}
	if jti, _ := claims["jti"].(string); jti == "" {
		t.Error("jti is empty")
	}
	if g, ok := claims["groups"].([]any); !ok || len(g) != 0 {
		t.Errorf("groups = %v; want []", claims["groups"])
	}
	if r, ok := claims["roles"].([]any); !ok || len(r) != 1 || r[0] != "all-datasets" {
		t.Errorf("roles = %v; want [all-datasets]", claims["roles"])
	}
}

// The seed's answer says expires_in 839 for a 900 s token whose expires_at
// is 60 s before exp: the second is floored at a moment inside it.
func TestExpiresInIsFlooredLikeTheRealService(t *testing.T) {
	f := setup(t)
	f.clock.Advance(600 * time.Millisecond)
	tok := mustToken(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if tok.ExpiresIn != 839 || tok.ExpiresAt != seedTime.Unix()+840 {
		t.Errorf("expires_in, expires_at = %d, %d; want 839, %d", tok.ExpiresIn, tok.ExpiresAt, seedTime.Unix()+840)
	}
}

func TestConfiguredLifetimeAndMargin(t *testing.T) {
	f := setup(t, func(c *oauthtest.Config) { c.TokenLifetime = time.Hour; c.ExpiryMargin = -1 })
	tok := mustToken(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if tok.ExpiresIn != 3600 || tok.ExpiresAt != seedTime.Unix()+3600 {
		t.Errorf("expires_in, expires_at = %d, %d; want 3600, %d", tok.ExpiresIn, tok.ExpiresAt, seedTime.Unix()+3600)
	}
}

func TestTokenEndpointRejects(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		status      int
		want        string // a fragment of the body
	}{
		{"wrong password", "POST", "", passwordForm(testEmail, "hunter3").Encode(), 400, `{"detail":"LOGIN_BAD_CREDENTIALS"}`},
		{"unknown user", "POST", "", passwordForm("nobody@example.com", testPassword).Encode(), 400, `{"detail":"LOGIN_BAD_CREDENTIALS"}`},
		{"empty password", "POST", "", passwordForm(testEmail, "").Encode(), 400, `{"detail":"LOGIN_BAD_CREDENTIALS"}`},
		{"missing password", "POST", "", "grant_type=password&username=a", 422, `"loc":["body","password"]`},
		{"json body", "POST", "application/json", `{"grant_type":"password","username":"a","password":"b"}`, 422,
			`{"detail":[{"type":"missing","loc":["body","grant_type"],"msg":"Field required","input":null}]}`},
		{"no grant type", "POST", "", "username=a&password=b", 422, `"loc":["body","grant_type"]`},
		{"unsupported grant", "POST", "", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=x", 400, `{"error":"unsupported_grant_type"}`},
		{"repeated parameter", "POST", "", "grant_type=password&grant_type=password&username=a&password=b", 400, `"error":"invalid_request"`},
		{"GET", "GET", "", "", 405, `{"detail":"Method Not Allowed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.auth.URL+oauthtest.TokenPath, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			ct := tt.contentType
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ct)
			a := do(t, req)
			if a.status != tt.status || !strings.Contains(string(a.body), tt.want) {
				t.Errorf("%s token (%s) = %d %s; want %d with %s", tt.method, tt.name, a.status, a.body, tt.status, tt.want)
			}
		})
	}
	if st := f.srv.Stats(); st.TokensIssued != 0 || st.TokenCalls["password"] != 4 || st.TokenCalls["unsupported"] != 1 {
		t.Errorf("Stats = %+v; want no token issued, 4 password calls, 1 unsupported", st)
	}
}

// A body over MaxBodyBytes is refused; it is served through a recorder
// because a real client may see the connection close before it has sent
// the whole body.
func TestTokenEndpointBoundsTheBody(t *testing.T) {
	f := setup(t)
	big := url.Values{"grant_type": {"password"}, "username": {strings.Repeat("x", oauthtest.MaxBodyBytes)}}
	req := httptest.NewRequest(http.MethodPost, oauthtest.TokenPath, strings.NewReader(big.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("token with a %d-byte body = %d %s; want 413", len(big.Encode()), rec.Code, rec.Body)
	}
}

func TestAddUserAgainReplacesPassword(t *testing.T) {
	f := setup(t)
	again := f.srv.AddUser(testEmail, "new-password")
	if again.ID != f.user.ID {
		t.Errorf("AddUser again: id %q; want %q", again.ID, f.user.ID)
	}
	a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	wantError(t, a, http.StatusBadRequest, "detail", "LOGIN_BAD_CREDENTIALS")
	mustToken(t, f.auth.URL, passwordForm(testEmail, "new-password"), nil)
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  oauthtest.Config
	}{
		{"negative lifetime", oauthtest.Config{TokenLifetime: -time.Second}},
		{"margin longer than lifetime", oauthtest.Config{TokenLifetime: time.Minute, ExpiryMargin: 2 * time.Minute}},
		{"default margin longer than lifetime", oauthtest.Config{TokenLifetime: 30 * time.Second}},
	}
	for _, tt := range tests {
		if _, err := oauthtest.New(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), "oauthtest: ") {
			t.Errorf("New(%s) error = %v; want a oauthtest error", tt.name, err)
		}
	}
}

// New without a Key generates one; its tokens verify with PublicKey only.
func TestNewGeneratesKey(t *testing.T) {
	srv, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if srv.PublicKey().Equal(&testkeys.RSA().PublicKey) || srv.PublicKey().N.BitLen() != 2048 {
		t.Errorf("PublicKey is the shared test key or not 2048 bits")
	}
}
