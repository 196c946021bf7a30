package oauthtest_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// postTo posts form to base+path.
func postTo(t *testing.T, base, path string, form url.Values, mod func(*http.Request)) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if mod != nil {
		mod(req)
	}
	return do(t, req)
}

// startDevice asks for a device authorization as the fixture's client.
func (f *fixture) startDevice(t *testing.T) map[string]any {
	t.Helper()
	a := postTo(t, f.auth.URL, oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {f.client.ClientID}, "scope": {"offline_access"}}, nil)
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("device authorization = %d %v %s; want 200 JSON, no-store (RFC 8628 3.2)", a.status, a.header, a.body)
	}
	return a.json(t)
}

func (f *fixture) pollDevice(t *testing.T, deviceCode string) answer {
	t.Helper()
	return postForm(t, f.auth.URL, url.Values{"grant_type": {oauthtest.DeviceCodeGrantType}, "device_code": {deviceCode},
		"client_id": {f.client.ClientID}}, nil)
}

func TestDeviceAuthorizationAnswersAsRFC8628(t *testing.T) {
	f := setup(t)
	d := f.startDevice(t)
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(d["user_code"].(string)) {
		t.Errorf("user_code = %q; want RFC 8628 6.1's form, such as WDJB-MJHT", d["user_code"])
	}
	if d["expires_in"] != 1800.0 || d["interval"] != 5.0 || d["verification_uri"] != oauthtest.DefaultIssuer+oauthtest.DeviceVerificationPath ||
		!strings.Contains(d["verification_uri_complete"].(string), "user_code=") || len(d["device_code"].(string)) < 32 {
		t.Errorf("device authorization = %v; want RFC 8628 3.2's fields", d)
	}
	code := d["device_code"].(string)

	// Polled before the interval: slow_down, and the interval grows by 5 s
	// for this and every later request (RFC 8628 3.5).
	wantError(t, f.pollDevice(t, code), 400, "error", "slow_down")
	f.clock.Advance(5 * time.Second)
	wantError(t, f.pollDevice(t, code), 400, "error", "slow_down") // 10 s were needed: now 15
	f.clock.Advance(15 * time.Second)
	wantError(t, f.pollDevice(t, code), 400, "error", "authorization_pending")
	if err := f.srv.ApproveDevice(d["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Second)
	tok := decodeRefresh(t, f.pollDevice(t, code))
	if me := withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, tok.AccessToken, nil); me.status != http.StatusOK {
		t.Errorf("users/me with the device's token = %d", me.status)
	}
	f.clock.Advance(15 * time.Second)
	wantError(t, f.pollDevice(t, code), 400, "error", "invalid_grant") // spent
	if n := f.srv.Stats().TokenCalls["device_code"]; n != 5 {
		t.Errorf("TokenCalls[device_code] = %d; want 5", n)
	}
}

func TestDeviceAuthorizationDeniedExpiredAndAutoApproved(t *testing.T) {
	f := setup(t)
	denied := f.startDevice(t)
	expired := f.startDevice(t)
	if err := f.srv.DenyDevice(denied["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	wantError(t, f.pollDevice(t, denied["device_code"].(string)), 400, "error", "access_denied")
	f.clock.Advance(oauthtest.DeviceCodeLifetime)
	wantError(t, f.pollDevice(t, expired["device_code"].(string)), 400, "error", "expired_token")

	f.srv.ApproveDevicesAfter(2)
	auto := f.startDevice(t)["device_code"].(string)
	for range 2 {
		f.clock.Advance(5 * time.Second)
		wantError(t, f.pollDevice(t, auto), 400, "error", "authorization_pending")
	}
	f.clock.Advance(5 * time.Second)
	decodeRefresh(t, f.pollDevice(t, auto))
	if err := f.srv.ApproveDevice("NOPE-NOPE"); err == nil {
		t.Error("ApproveDevice of an unknown code = nil error")
	}
}

func TestIntrospection(t *testing.T) {
	f := setup(t)
	access := f.login(t)
	auth := basic(f.client.ClientID, f.client.ClientSecret.Reveal())
	a := postTo(t, f.auth.URL, oauthtest.IntrospectPath, url.Values{"token": {access}, "token_type_hint": {"access_token"}}, auth)
	m := a.json(t)
	if a.status != 200 || m["active"] != true || m["sub"] != f.user.ID || m["username"] != testEmail || m["token_type"] != "Bearer" ||
		m["iss"] != oauthtest.DefaultIssuer || m["exp"] == nil || m["iat"] == nil || a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("introspection of a live token = %d %v; want RFC 7662 2.2's fields", a.status, m)
	}
	f.srv.RevokeAll()
	if m := postTo(t, f.auth.URL, oauthtest.IntrospectPath, url.Values{"token": {access}}, auth).json(t); len(m) != 1 || m["active"] != false {
		t.Errorf("introspection of a revoked token = %v; want only active=false", m)
	}
	if m := postTo(t, f.auth.URL, oauthtest.IntrospectPath, url.Values{"token": {"nonsense"}}, auth).json(t); m["active"] != false {
		t.Errorf("introspection of an unknown token = %v", m)
	}
	wantError(t, postTo(t, f.auth.URL, oauthtest.IntrospectPath, url.Values{"token": {access}}, basic(f.client.ClientID, "wrong")), 401, "error", "invalid_client")
	wantError(t, postTo(t, f.auth.URL, oauthtest.IntrospectPath, url.Values{}, auth), 400, "error", "invalid_request")
}

func TestJWTBearerGrant(t *testing.T) {
	f := setup(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	f.srv.TrustIssuer("robot-fleet", key.Public())
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "robot-fleet", "sub": testEmail, "aud": f.auth.URL + oauthtest.TokenPath,
			"iat": f.clock.Now().Unix(), "exp": f.clock.Now().Add(5 * time.Minute).Unix(), "jti": rand.Text()}
	}
	signed := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	grant := func(assertion string) answer {
		return postForm(t, f.auth.URL, url.Values{"grant_type": {oauthtest.JWTBearerGrantType}, "assertion": {assertion}}, nil)
	}
	ok := signed(claims())
	tok := mustToken(t, f.auth.URL, url.Values{"grant_type": {oauthtest.JWTBearerGrantType}, "assertion": {ok}}, nil)
	if me := withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, tok.AccessToken, nil); me.status != http.StatusOK {
		t.Errorf("users/me with the grant's token = %d", me.status)
	}
	wantError(t, grant(ok), 400, "error", "invalid_grant") // jti replayed
	for name, edit := range map[string]func(jwt.MapClaims){
		"untrusted issuer": func(c jwt.MapClaims) { c["iss"] = "stranger" },
		"other audience":   func(c jwt.MapClaims) { c["aud"] = "https://elsewhere.example/token" },
		"expired":          func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(-time.Second).Unix() },
		"too long":         func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(2 * time.Hour).Unix() },
		"no jti":           func(c jwt.MapClaims) { delete(c, "jti") },
		"unknown subject":  func(c jwt.MapClaims) { c["sub"] = "nobody@example.com" },
	} {
		c := claims()
		edit(c)
		if a := grant(signed(c)); a.status != 400 || a.json(t)["error"] != "invalid_grant" {
			t.Errorf("%s: %d %s; want 400 invalid_grant (RFC 7523 3.1)", name, a.status, a.body)
		}
	}
}

func TestMetadataAndRegisteredRedirects(t *testing.T) {
	f := setup(t)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		a := withToken(t, http.MethodGet, f.auth.URL+path, "", nil)
		m := a.json(t)
		if a.status != 200 || a.header.Get("Content-Type") != "application/json" || m["issuer"] != oauthtest.DefaultIssuer ||
			m["authorization_response_iss_parameter_supported"] != true || m["device_authorization_endpoint"] == nil {
			t.Errorf("GET %s = %d %v", path, a.status, m)
		}
	}
	web, err := f.srv.AddClient(oauthtest.Client{UserID: f.user.ID, RedirectURIs: []string{"http://app.example:5000/receiveCode"}})
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	q := url.Values{"response_type": {"code"}, "client_id": {web.ClientID}, "redirect_uri": {"http://app.example:5000/receiveCode"},
		"state": {"s"}, "scope": {"openid"}, "nonce": {"n-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	resp, err := noRedirects.Get(f.auth.URL + oauthtest.AuthorizePath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Host != "app.example:5000" || loc.Query().Get("iss") != oauthtest.DefaultIssuer {
		t.Fatalf("authorize = %d %s; want a redirect to the registered URI with iss (RFC 9207 2)", resp.StatusCode, loc)
	}
	a := postForm(t, f.auth.URL, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {"http://app.example:5000/receiveCode"}, "code_verifier": {verifier}}, basic(web.ClientID, web.ClientSecret.Reveal()))
	idt, _ := a.json(t)["id_token"].(string)
	claims := jwt.MapClaims{}
	if _, err := jwt.NewParser(jwt.WithTimeFunc(f.clock.Now)).ParseWithClaims(idt, claims, func(*jwt.Token) (any, error) { return f.srv.PublicKey(), nil }); err != nil ||
		claims["nonce"] != "n-1" || claims["aud"] != web.ClientID || claims["iss"] != oauthtest.DefaultIssuer {
		t.Errorf("id_token claims = %v, %v; want the nonce, the client as aud, the issuer", claims, err)
	}
	q.Set("redirect_uri", "http://127.0.0.1:5555/callback") // loopback, but not registered
	resp, err = noRedirects.Get(f.auth.URL + oauthtest.AuthorizePath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("authorize with an unregistered redirect_uri = %d; want 400, no redirect", resp.StatusCode)
	}
}
