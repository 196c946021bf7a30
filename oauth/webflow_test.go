package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// webApp is seed 003's web server done with AuthURL and Exchange: /login
// sends the browser to the authorization server, /receiveCode takes it
// back. It keeps each AuthSession server-side, under a cookie.
type webApp struct {
	*httptest.Server
	flow *oauth.AuthCode

	mu       sync.Mutex // guards sessions, tokens, errs
	sessions map[string]*oauth.AuthSession
	tokens   []*oauth2.Token
	errs     []error
}

func newWebApp(t *testing.T, flow *oauth.AuthCode) *webApp {
	t.Helper()
	app := &webApp{flow: flow, sessions: map[string]*oauth.AuthSession{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", app.login)
	mux.HandleFunc("GET /receiveCode", app.receiveCode)
	app.Server = httptest.NewServer(mux)
	t.Cleanup(app.Close)
	return app
}

func (app *webApp) login(w http.ResponseWriter, r *http.Request) {
	u, sess, err := app.flow.AuthURL()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	id := sess.State // any unguessable id will do
	app.mu.Lock()
	app.sessions[id] = sess
	app.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: id, HttpOnly: true, Path: "/"})
	http.Redirect(w, r, u, http.StatusFound)
}

func (app *webApp) receiveCode(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("sid")
	if err != nil {
		http.Error(w, "no session", http.StatusBadRequest)
		return
	}
	app.mu.Lock()
	sess := app.sessions[c.Value]
	delete(app.sessions, c.Value)
	app.mu.Unlock()
	tok, err := app.flow.Exchange(r.Context(), sess, r.URL.Query())
	app.mu.Lock()
	app.tokens, app.errs = append(app.tokens, tok), append(app.errs, err)
	app.mu.Unlock()
	if err != nil {
		http.Error(w, "sign-in failed", http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, "signed in")
}

// userAgent is a browser that keeps cookies, follows redirects, and finds
// host (such as app.test:5000, a name no resolver knows) at addr.
func userAgent(t *testing.T, host, addr string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		if a == host {
			a = addr
		}
		return dialer.DialContext(ctx, network, a)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, Timeout: waitLimit}
}

func TestWebAppCodeFlowWithARegisteredRedirectURI(t *testing.T) {
	f := setupFakeIssuer(t, fixedNow)
	const redirect = "http://app.test:5000/receiveCode" // seed 003's shape: the app's own host and port
	web, err := f.srv.AddClient(oauthtest.Client{UserID: f.user.ID, RedirectURIs: []string{redirect}})
	if err != nil {
		t.Fatal(err)
	}
	md, err := oauth.Discover(bounded(t), f.auth.URL, oauth.Settings{})
	if err != nil {
		t.Fatalf("Discover() = %v", err)
	}
	flow, err := oauth.NewAuthCode(oauth.AuthCodeConfig{Metadata: md, RedirectURL: redirect, Scopes: []string{"openid", "offline_access"},
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: web.ClientID, Secret: web.ClientSecret},
		Params:   url.Values{"resource": {"https://api.example"}},
		Settings: oauth.Settings{Now: fixedNow, AllowInsecureHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	app := newWebApp(t, flow)
	browser := userAgent(t, "app.test:5000", app.Listener.Addr().String())
	resp, err := browser.Get("http://app.test:5000/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "signed in" {
		t.Fatalf("browser ended at %d %q", resp.StatusCode, body)
	}
	app.mu.Lock()
	tok, err := app.tokens[0], app.errs[0]
	app.mu.Unlock()
	if err != nil || tok.RefreshToken == "" || f.me(t, tok.AccessToken) != 200 {
		t.Fatalf("Exchange() = %+v, %v; want working tokens", tok, err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(oauth.IDToken(tok), claims); err != nil || claims["aud"] != web.ClientID || claims["iss"] != f.auth.URL {
		t.Errorf("ID token claims = %v, %v", claims, err)
	}
	if s, ok := oauth.Scope(tok); !ok || strings.Join(s, " ") != "openid offline_access" {
		t.Errorf("Scope() = %q, %v", s, ok)
	}
	if _, err := flow.Refresh(bounded(t), tok); err != nil {
		t.Errorf("Refresh() = %v", err)
	}
}

// callbackFor builds the authorization response a server would send for
// the request at authURL: edit adds or changes its parameters.
func callbackFor(t *testing.T, authURL string, edit func(req, resp url.Values)) url.Values {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	req := u.Query()
	resp := url.Values{"code": {"the-code"}, "state": {req.Get("state")}}
	if edit != nil {
		edit(req, resp)
	}
	return resp
}

func TestExchangeChecksTheResponse(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	md := &oauth.Metadata{Issuer: s.URL, AuthorizationEndpoint: s.URL + "/authorize", TokenEndpoint: s.URL + "/token",
		AuthorizationResponseIssParameterSupported: true}
	tests := []struct {
		name  string
		cfg   oauth.AuthCodeConfig
		edit  func(req, resp url.Values)
		check func(error) bool
	}{
		{"good, with iss", oauth.AuthCodeConfig{Metadata: md}, func(_, r url.Values) { r.Set("iss", s.URL) }, func(err error) bool { return err == nil }},
		{"state of another login", oauth.AuthCodeConfig{Metadata: md}, func(_, r url.Values) { r.Set("state", "x"); r.Set("iss", s.URL) },
			func(err error) bool { return errors.Is(err, oauth.ErrStateMismatch) }},
		{"another issuer (mix-up)", oauth.AuthCodeConfig{Metadata: md}, func(_, r url.Values) { r.Set("iss", "https://evil.example") },
			func(err error) bool {
				return errors.Is(err, oauth.ErrIssuerMismatch) && strings.Contains(err.Error(), `"https://evil.example"`)
			}},
		{"another issuer's error", oauth.AuthCodeConfig{Metadata: md}, func(_, r url.Values) {
			r.Del("code")
			r.Set("error", "access_denied")
			r.Set("iss", "https://evil.example")
		}, func(err error) bool { return errors.Is(err, oauth.ErrIssuerMismatch) }},
		{"no iss from a server that sends it", oauth.AuthCodeConfig{Metadata: md}, nil,
			func(err error) bool {
				return errors.Is(err, oauth.ErrIssuerMismatch) && strings.Contains(err.Error(), "no iss")
			}},
		{"no iss, Issuer set by hand", oauth.AuthCodeConfig{Issuer: s.URL}, nil, func(err error) bool { return err == nil }},
		{"another issuer, Issuer set by hand", oauth.AuthCodeConfig{Issuer: s.URL}, func(_, r url.Values) { r.Set("iss", s.URL+"/") },
			func(err error) bool { return errors.Is(err, oauth.ErrIssuerMismatch) }},
		{"error=", oauth.AuthCodeConfig{Issuer: s.URL}, func(_, r url.Values) { r.Del("code"); r.Set("error", "access_denied") },
			func(err error) bool { return errors.Is(err, oauth.ErrAccessDenied) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Metadata == nil {
				tt.cfg.AuthURL, tt.cfg.TokenURL = s.URL+"/authorize", s.URL+"/token"
			}
			tt.cfg.RedirectURL = "https://app.example/cb"
			tt.cfg.Client = oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "web-app", Secret: secret.New("s")}
			flow, err := oauth.NewAuthCode(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			u, sess, err := flow.AuthURL()
			if err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			s.tokenF = nil
			s.mu.Unlock()
			_, err = flow.Exchange(bounded(t), sess, callbackFor(t, u, tt.edit))
			if !tt.check(err) {
				t.Fatalf("Exchange() = %v", err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if (err == nil) != (s.tokenF != nil) {
				t.Errorf("token request %v after Exchange() = %v; a refused response must not be redeemed", s.tokenF, err)
			}
		})
	}
}

func TestExchangeChecksTheIDToken(t *testing.T) {
	var claims jwt.MapClaims // the ID token's, set per case
	var mu sync.Mutex        // guards claims
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		c := claims
		mu.Unlock()
		resp := map[string]any{"access_token": "at", "expires_in": 60}
		if c != nil {
			resp["id_token"] = testIDToken(t, c)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}))
	defer ts.Close()
	flow, err := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: ts.URL + "/a", TokenURL: ts.URL + "/t", Issuer: "https://as.example",
		RedirectURL: "https://app.example/cb", Scopes: []string{"openid"}, Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "app"},
		Settings: oauth.Settings{Now: fixedNow}})
	if err != nil {
		t.Fatal(err)
	}
	good := func(nonce string) jwt.MapClaims {
		return jwt.MapClaims{"iss": "https://as.example", "aud": []string{"app", "other"}, "nonce": nonce, "exp": epoch.Add(time.Minute).Unix()}
	}
	tests := []struct {
		name string
		edit func(c jwt.MapClaims) jwt.MapClaims
		want string
	}{
		{"good", func(c jwt.MapClaims) jwt.MapClaims { return c }, ""},
		{"other nonce", func(c jwt.MapClaims) jwt.MapClaims { c["nonce"] = "replayed"; return c }, "nonce does not match"},
		{"no nonce", func(c jwt.MapClaims) jwt.MapClaims { delete(c, "nonce"); return c }, "nonce does not match"},
		{"other audience", func(c jwt.MapClaims) jwt.MapClaims { c["aud"] = "another-app"; return c }, "for another client"},
		{"other issuer", func(c jwt.MapClaims) jwt.MapClaims { c["iss"] = "https://evil.example"; return c }, "another issuer"},
		{"expired", func(c jwt.MapClaims) jwt.MapClaims { c["exp"] = epoch.Add(-time.Hour).Unix(); return c }, "expired"},
		{"no ID token", func(jwt.MapClaims) jwt.MapClaims { return nil }, "no id_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, sess, _ := flow.AuthURL()
			q, _ := url.Parse(u)
			if sess.Nonce == "" || q.Query().Get("nonce") != sess.Nonce {
				t.Fatalf("nonce: session %q, request %q", sess.Nonce, q.Query().Get("nonce"))
			}
			mu.Lock()
			claims = tt.edit(good(sess.Nonce))
			mu.Unlock()
			_, err := flow.Exchange(bounded(t), sess, callbackFor(t, u, nil))
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Exchange() = %v; want %q", err, tt.want)
			}
		})
	}
}

func TestExchangeWithJawbonesGETTokenEndpoint(t *testing.T) {
	j := newJawbone(t)
	flow, err := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: j.URL + "/auth/oauth2/auth", TokenURL: j.URL + "/auth/oauth2/token",
		RedirectURL: "http://ipython.example:5000/receiveCode", Scopes: []string{"basic_read", "sleep_read"},
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "F3rPnz_fTUY", Secret: secret.New("efaedc99a6bc5fb40f4be3b8fb97c6b94a7eec58")},
		Settings: oauth.Settings{HTTPClient: j.Client(), TokenRequestGET: true, AllowInsecureHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	u, sess, _ := flow.AuthURL()
	tok, err := flow.Exchange(bounded(t), sess, callbackFor(t, u, nil))
	if err != nil || tok.AccessToken != "aV1SI82x" {
		t.Fatalf("Exchange() = %+v, %v", tok, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.query.Get("grant_type") != "authorization_code" || j.query.Get("code") != "the-code" || j.query.Get("client_id") != "F3rPnz_fTUY" {
		t.Errorf("query = %v; want seed 003's parameters", j.query)
	}
}

func TestAuthSessionStoresWhole(t *testing.T) {
	flow, err := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: "https://as/a", TokenURL: "https://as/t", RedirectURL: "https://app/cb",
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "app"}})
	if err != nil {
		t.Fatal(err)
	}
	_, sess, _ := flow.AuthURL()
	raw, err := sess.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back oauth.AuthSession
	if err := back.UnmarshalBinary(raw); err != nil || back.State != sess.State || back.Nonce != sess.Nonce ||
		back.RedirectURI != sess.RedirectURI || back.Verifier.Reveal() != sess.Verifier.Reveal() {
		t.Errorf("binary round trip = %+v, %v; want the session kept whole for the app's store", back, err)
	}
	if err := back.UnmarshalBinary([]byte(`{"format":99}`)); err == nil {
		t.Error("UnmarshalBinary(format 99) = nil; want a refusal")
	}
	if _, err := flow.Exchange(bounded(t), nil, url.Values{}); err == nil || !strings.Contains(err.Error(), "needs the AuthSession") {
		t.Errorf("Exchange(nil session) = %v", err)
	}
}

func TestRedirectURLValidation(t *testing.T) {
	base := oauth.AuthCodeConfig{AuthURL: "https://as/a", TokenURL: "https://as/t", Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "app"}}
	for _, tt := range []struct{ redirect, want string }{
		{"/cb", "not an absolute URI"},
		{"https://app.example/cb#x", "fragment"},
		{"http://app.example:5000/receiveCode", "plain http"},
	} {
		cfg := base
		cfg.RedirectURL = tt.redirect
		if _, err := oauth.NewAuthCode(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("RedirectURL %q: %v; want %q", tt.redirect, err, tt.want)
		}
	}
	for _, ok := range []string{"https://app.example/cb", "http://127.0.0.1:5000/cb", "com.example.app:/oauth2redirect"} {
		cfg := base
		cfg.RedirectURL = ok
		if _, err := oauth.NewAuthCode(cfg); err != nil {
			t.Errorf("RedirectURL %q: %v", ok, err)
		}
	}
	if _, _, err := (mustAuthCode(t, base)).AuthURL(); err == nil {
		t.Error("AuthURL() without RedirectURL = nil error")
	}
	md := &oauth.Metadata{Issuer: "https://as", AuthorizationEndpoint: "https://as/a", TokenEndpoint: "https://as/t", CodeChallengeMethodsSupported: []string{"plain"}}
	if _, err := oauth.NewAuthCode(oauth.AuthCodeConfig{Metadata: md, Client: base.Client}); err == nil || !strings.Contains(err.Error(), "S256") {
		t.Errorf("a server without S256: %v", err)
	}
	md.CodeChallengeMethodsSupported = nil
	if _, err := oauth.NewAuthCode(oauth.AuthCodeConfig{Metadata: md, Issuer: "https://other", Client: base.Client}); err == nil {
		t.Error("an Issuer that contradicts the metadata was accepted")
	}
}

func mustAuthCode(t *testing.T, cfg oauth.AuthCodeConfig) *oauth.AuthCode {
	t.Helper()
	ac, err := oauth.NewAuthCode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ac
}
