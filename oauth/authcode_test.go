package oauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/golang-jwt/jwt/v5"
)

// browser is a stand-in for the user's browser: an HTTP client that
// follows the authorization server's redirect to the loopback listener.
type browser struct {
	mu      sync.Mutex // guards pages, urls
	pages   []page
	urls    []string
	after   func(ctx context.Context, callback string) // runs after the first page, if set
	refused bool                                       // refuse to open: the flow must print the URL
}

type page struct {
	status int
	body   string
	url    string
}

func (b *browser) open(ctx context.Context, authURL string) error {
	b.mu.Lock()
	b.urls = append(b.urls, authURL)
	b.mu.Unlock()
	if b.refused {
		return errors.New("no display")
	}
	p, err := get(ctx, authURL)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.pages = append(b.pages, p)
	b.mu.Unlock()
	if b.after != nil {
		b.after(ctx, p.url)
	}
	return nil
}

func get(ctx context.Context, u string) (page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return page{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(body), url: resp.Request.URL.String()}, err
}

func (b *browser) lastPage(t *testing.T) page {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pages) == 0 {
		t.Fatal("the browser showed no page")
	}
	return b.pages[len(b.pages)-1]
}

// newAuthCode builds the flow against the fake, with a browser that
// follows redirects unless open replaces it.
func newAuthCode(t *testing.T, f *fixture, now func() time.Time, open func(context.Context, string) error) *oauth.AuthCode {
	t.Helper()
	if open == nil {
		open = (&browser{}).open
	}
	ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{
		AuthURL:     f.auth.URL + oauthtest.AuthorizePath,
		TokenURL:    f.tokenURL(),
		Client:      oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: f.client.ClientID, Secret: f.client.ClientSecret},
		Scopes:      []string{"offline_access"},
		OpenBrowser: open,
		Settings:    oauth.Settings{Now: now},
	})
	if err != nil {
		t.Fatalf("NewAuthCode: %v", err)
	}
	return ac
}

func TestLoginAgainstFakeauth(t *testing.T) {
	f := setupFake(t, fixedNow)
	b := &browser{}
	tok, err := newAuthCode(t, f, fixedNow, b.open).Login(bounded(t))
	if err != nil {
		t.Fatalf("Login() = %v", err)
	}
	if tok.RefreshToken == "" || f.me(t, tok.AccessToken) != http.StatusOK {
		t.Errorf("Login() = %+v; want a working access token and a refresh token", tok)
	}
	p := b.lastPage(t)
	if p.status != http.StatusOK || !strings.Contains(p.body, "You are signed in") {
		t.Errorf("browser page = %d %q; want the success page", p.status, p.body)
	}
	u, _ := url.Parse(p.url)
	if u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != oauth.DefaultRedirectPath {
		t.Errorf("redirected to %s; want http://127.0.0.1:{ephemeral}%s", p.url, oauth.DefaultRedirectPath)
	}
	if _, err := net.Dial("tcp", u.Host); err == nil {
		t.Errorf("the listener on %s still accepts connections after the login", u.Host)
	}
}

// recordingAuthServer is an authorization server that records the
// authorization and token requests and redirects as redirect says.
type recordingAuthServer struct {
	*httptest.Server
	mu       sync.Mutex // guards authQ, tokenF
	authQ    url.Values
	tokenF   url.Values
	redirect func(q url.Values) url.Values // the callback's query
}

func newRecordingAuthServer(t *testing.T, redirect func(q url.Values) url.Values) *recordingAuthServer {
	t.Helper()
	s := &recordingAuthServer{redirect: redirect}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		s.mu.Lock()
		s.authQ = q
		s.mu.Unlock()
		answer := s.redirect(q)
		if answer == nil { // the login page, where the user has yet to act
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><title>Sign in</title></html>"))
			return
		}
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+answer.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		s.mu.Lock()
		s.tokenF = r.PostForm
		authQ := s.authQ
		s.mu.Unlock()
		resp := map[string]any{"access_token": "at", "refresh_token": "rt", "expires_in": 60}
		if strings.Contains(authQ.Get("scope"), "openid") { // OpenID Connect Core 3.1.3.3
			resp["id_token"] = testIDToken(t, jwt.MapClaims{"iss": s.URL, "sub": "u1", "aud": authQ.Get("client_id"),
				"nonce": authQ.Get("nonce"), "exp": time.Now().Add(time.Hour).Unix()})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *recordingAuthServer) flow(t *testing.T, cfg oauth.AuthCodeConfig) *oauth.AuthCode {
	t.Helper()
	cfg.AuthURL, cfg.TokenURL = s.URL+"/authorize?tenant=t1", s.URL+"/token"
	if cfg.Client.Method == "" {
		cfg.Client = oauth.ClientAuth{Method: oauth.AuthNone, ID: "native-app"}
	}
	ac, err := oauth.NewAuthCode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ac
}

func echoCode(q url.Values) url.Values {
	return url.Values{"code": {"the-code"}, "state": {q.Get("state")}}
}

func TestLoginSendsPKCEAndState(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	ac := s.flow(t, oauth.AuthCodeConfig{Scopes: []string{"openid", "profile"}, AuthParams: url.Values{"prompt": {"consent"}},
		OpenBrowser: (&browser{}).open})
	var states []string
	for range 2 {
		if _, err := ac.Login(bounded(t)); err != nil {
			t.Fatalf("Login() = %v", err)
		}
		s.mu.Lock()
		q, form := s.authQ, s.tokenF
		s.mu.Unlock()
		states = append(states, q.Get("state"))
		want := map[string]string{"response_type": "code", "client_id": "native-app", "scope": "openid profile",
			"code_challenge_method": "S256", "prompt": "consent", "tenant": "t1"}
		for k, v := range want {
			if q.Get(k) != v {
				t.Errorf("authorization request %s = %q; want %q", k, q.Get(k), v)
			}
		}
		if len(q.Get("nonce")) < 20 {
			t.Errorf("nonce = %q; want a random one with the openid scope (OpenID Connect Core 3.1.2.1)", q.Get("nonce"))
		}
		verifier := form.Get("code_verifier")
		sum := sha256.Sum256([]byte(verifier))
		if len(verifier) < 43 || q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) {
			t.Errorf("code_verifier %q does not match code_challenge %q by S256", verifier, q.Get("code_challenge"))
		}
		if form.Get("grant_type") != "authorization_code" || form.Get("code") != "the-code" ||
			form.Get("redirect_uri") != q.Get("redirect_uri") || form.Get("client_id") != "native-app" {
			t.Errorf("token request = %v; want the code, the same redirect_uri and the public client's id", form)
		}
	}
	if len(states[0]) < 20 || states[0] == states[1] {
		t.Errorf("states = %q; want a fresh random state per login", states)
	}
}

func TestLoginRejectsWrongState(t *testing.T) {
	s := newRecordingAuthServer(t, func(q url.Values) url.Values {
		return url.Values{"code": {"the-code"}, "state": {q.Get("state") + "x"}}
	})
	b := &browser{}
	_, err := s.flow(t, oauth.AuthCodeConfig{OpenBrowser: b.open}).Login(bounded(t))
	if !errors.Is(err, oauth.ErrStateMismatch) {
		t.Fatalf("Login() with a wrong state = %v; want ErrStateMismatch", err)
	}
	if p := b.lastPage(t); p.status != http.StatusBadRequest || !strings.Contains(p.body, "state mismatch") {
		t.Errorf("browser page = %d %q; want the failure page", p.status, p.body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokenF != nil {
		t.Error("the code of a redirect with a wrong state was exchanged")
	}
}

func TestLoginNeedsCodeOrError(t *testing.T) {
	s := newRecordingAuthServer(t, func(q url.Values) url.Values { return url.Values{"state": {q.Get("state")}} })
	b := &browser{}
	_, err := s.flow(t, oauth.AuthCodeConfig{OpenBrowser: b.open}).Login(bounded(t))
	if err == nil || !strings.Contains(err.Error(), "neither a code nor an error") {
		t.Errorf("Login() with an empty redirect = %v; want an error", err)
	}
	if p := b.lastPage(t); p.status != http.StatusBadRequest {
		t.Errorf("browser page = %d; want 400", p.status)
	}
}

func TestLoginReportsAnImmediateRefusalWithoutABrowser(t *testing.T) {
	f := setupFake(t, fixedNow)
	f.srv.DenyAuthorizations("invalid_scope", "The scope <b>admin</b> is not allowed")
	b := &browser{}
	_, err := newAuthCode(t, f, fixedNow, b.open).Login(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_scope" || oe.Description != "The scope <b>admin</b> is not allowed" || !oe.Permanent() {
		t.Fatalf("Login() when refused = %v; want a permanent *Error invalid_scope with the description", err)
	}
	if !strings.Contains(err.Error(), f.auth.URL+oauthtest.AuthorizePath) {
		t.Errorf("Error() = %q; want it to name the authorization endpoint", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.urls) != 0 {
		t.Error("the browser was opened at a request the server had already refused")
	}
}

func TestLoginReportsAnErrorPageAtOnce(t *testing.T) {
	// RFC 6749 4.1.2.1: for a bad client_id or redirect_uri the server
	// shows an error page and does not redirect.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("<html><head><title>Invalid parameter: redirect_uri</title></head></html>"))
	}))
	defer ts.Close()
	ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: ts.URL + "/auth", TokenURL: ts.URL + "/token",
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "app"}, OpenBrowser: (&browser{}).open})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ac.Login(bounded(t)) // the default five-minute timeout: only an immediate report ends in time
	if err == nil || !strings.Contains(err.Error(), "Invalid parameter: redirect_uri") || !strings.Contains(err.Error(), "check Client.ID, the redirect URI") {
		t.Errorf("Login() against an error page = %v; want the page's title and advice, at once", err)
	}
}

func TestLoginShowsTheServerErrorInTheBrowser(t *testing.T) {
	seen := 0
	s := newRecordingAuthServer(t, func(q url.Values) url.Values {
		seen++
		if seen == 1 {
			return nil // the login page
		}
		return url.Values{"error": {"access_denied"}, "error_description": {"The user <b>refused</b>"}, "state": {q.Get("state")}}
	})
	b := &browser{}
	_, err := s.flow(t, oauth.AuthCodeConfig{OpenBrowser: b.open}).Login(bounded(t))
	if !errors.Is(err, oauth.ErrAccessDenied) {
		t.Fatalf("Login() when denied = %v; want access_denied", err)
	}
	p := b.lastPage(t)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "access_denied: The user &lt;b&gt;refused&lt;/b&gt;") {
		t.Errorf("browser page = %d %q; want the server's error, HTML-escaped", p.status, p.body)
	}
}

func TestLoginTakesExactlyOneCallback(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	var second page
	var secondErr error
	b := &browser{after: func(ctx context.Context, callback string) {
		second, secondErr = get(ctx, callback)
	}}
	if _, err := s.flow(t, oauth.AuthCodeConfig{OpenBrowser: b.open}).Login(bounded(t)); err != nil {
		t.Fatalf("Login() = %v", err)
	}
	if secondErr == nil && second.status != http.StatusGone {
		t.Errorf("a second callback got %d %q; want 410 Gone or a refused connection", second.status, second.body)
	}
}

func TestLoginTimesOutAndCloses(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	opened := make(chan string, 1)
	ac := s.flow(t, oauth.AuthCodeConfig{Timeout: 50 * time.Millisecond, OpenBrowser: func(ctx context.Context, u string) error {
		opened <- u
		return nil // the user never signs in
	}})
	_, err := ac.Login(bounded(t))
	if !errors.Is(err, oauth.ErrLoginTimeout) {
		t.Fatalf("Login() = %v; want ErrLoginTimeout", err)
	}
	u, _ := url.Parse(<-opened)
	redirect, _ := url.Parse(u.Query().Get("redirect_uri"))
	if _, err := net.Dial("tcp", redirect.Host); err == nil {
		t.Errorf("the listener on %s still accepts connections after the timeout", redirect.Host)
	}
}

func TestLoginHonoursCallerContext(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	ctx, cancel := context.WithCancel(context.Background())
	ac := s.flow(t, oauth.AuthCodeConfig{OpenBrowser: func(context.Context, string) error {
		cancel()
		return nil
	}})
	if _, err := ac.Login(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, oauth.ErrLoginTimeout) {
		t.Errorf("Login() with a cancelled context = %v; want context.Canceled", err)
	}
}

func TestLoginReportsAFailingOpenerAtOnce(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	b := &browser{refused: true}
	// The timeout is the default five minutes: the test ends within
	// waitLimit only if the failure is reported at once.
	_, err := s.flow(t, oauth.AuthCodeConfig{OpenBrowser: b.open}).Login(bounded(t))
	if err == nil || errors.Is(err, oauth.ErrLoginTimeout) || !strings.Contains(err.Error(), "no display") ||
		!strings.Contains(err.Error(), "oauth.PrintURL") {
		t.Fatalf("Login() with a failing opener = %v; want its error at once, with advice", err)
	}
}

func TestLoginWithPrintURL(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	var out bytes.Buffer
	b := &browser{}
	open := func(ctx context.Context, u string) error {
		if err := oauth.PrintURL(&out)(ctx, u); err != nil {
			return err
		}
		return b.open(ctx, u) // the user, opening it by hand
	}
	tok, err := s.flow(t, oauth.AuthCodeConfig{OpenBrowser: open}).Login(bounded(t))
	if err != nil || tok.AccessToken != "at" {
		t.Fatalf("Login() = %v, %v", tok, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !strings.Contains(out.String(), "Open this address") || !strings.Contains(out.String(), b.urls[0]) {
		t.Errorf("output = %q; want the authorization URL %s", out.String(), b.urls[0])
	}
}

func TestAuthCodeValidation(t *testing.T) {
	none := oauth.ClientAuth{Method: oauth.AuthNone, ID: "app"}
	tests := []struct {
		name string
		cfg  oauth.AuthCodeConfig
		want string
	}{
		{"no auth URL", oauth.AuthCodeConfig{TokenURL: "https://as/t", Client: none}, "AuthURL is required"},
		{"no client", oauth.AuthCodeConfig{AuthURL: "https://as/a", TokenURL: "https://as/t"}, "Client is required"},
		{"reserved param", oauth.AuthCodeConfig{AuthURL: "https://as/a", TokenURL: "https://as/t", Client: none, AuthParams: url.Values{"state": {"x"}}}, "must not set state"},
		{"bad path", oauth.AuthCodeConfig{AuthURL: "https://as/a", TokenURL: "https://as/t", Client: none, RedirectPath: "cb"}, "must start with /"},
		{"bad port", oauth.AuthCodeConfig{AuthURL: "https://as/a", TokenURL: "https://as/t", Client: none, Port: 70000}, "not a TCP port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := oauth.NewAuthCode(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewAuthCode = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// testIDToken signs an ID token with a key the client does not hold, as
// a server does; the client reads its claims without verifying it (OpenID
// Connect Core 3.1.3.7 6: TLS authenticated the token endpoint).
func testIDToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(testkeys.ECP256())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The trap of issue 12: NewRefresher over an AuthCode with an empty store
// failed with ErrNoRefreshToken; it logs in instead, once, and a later
// start resumes the stored token without a browser.
func TestNewRefresherLogsInWhenTheStoreIsEmpty(t *testing.T) {
	clk := fakeclock.New(epoch)
	f := setupFake(t, clk.Now)
	b := &browser{}
	ac := newAuthCode(t, f, clk.Now, b.open)
	store := &tokenrefresh.MemoryStore{}
	for run := range 2 {
		r := newRefresher(t, ac, clk, tokenrefresh.Config{Store: store})
		tok, err := r.Token(bounded(t))
		if err != nil {
			t.Fatalf("run %d: Token() = %v", run+1, err)
		}
		if f.me(t, tok.AccessToken) != http.StatusOK {
			t.Errorf("run %d: the token does not work", run+1)
		}
		r.Close()
	}
	b.mu.Lock()
	opened := len(b.urls)
	b.mu.Unlock()
	if e, err := store.Load(bounded(t)); err != nil || e.Token.Reveal().RefreshToken == "" || opened != 1 {
		t.Errorf("store = %v, %v; browser opened %d times; want one login, saved with its refresh token", e, err, opened)
	}
	if st := f.srv.Stats().TokenCalls; st["authorization_code"] != 1 {
		t.Errorf("TokenCalls = %v; want one code exchange", st)
	}
	// Without a store it logs in as well; a failed login fails NewRefresher.
	if _, err := oauth.NewRefresher(bounded(t), newAuthCode(t, f, clk.Now, (&browser{refused: true}).open), tokenrefresh.Config{}); err == nil ||
		!strings.Contains(err.Error(), "log in for a first token") {
		t.Errorf("NewRefresher with a login that fails = %v", err)
	}
}

// The token a person logged in for is saved before anything else can
// fail: a Refresher that cannot start (here, a bad schedule) loses no
// login, and the next start resumes it without a browser.
func TestNewRefresherSavesTheLoginBeforeItStarts(t *testing.T) {
	clk := fakeclock.New(epoch)
	f := setupFake(t, clk.Now)
	b := &browser{}
	ac := newAuthCode(t, f, clk.Now, b.open)
	store := &tokenrefresh.MemoryStore{}
	if _, err := oauth.NewRefresher(bounded(t), ac, tokenrefresh.Config{Store: store, Clock: clk, Interval: -time.Second}); err == nil {
		t.Fatal("NewRefresher with a negative Interval = nil error")
	}
	e, err := store.Load(bounded(t))
	if err != nil || e.Token.Reveal().RefreshToken == "" || !e.Obtained.Equal(epoch) {
		t.Fatalf("store after the failed start = %v, %v; want the login's token, obtained now", e, err)
	}
	r := newRefresher(t, ac, clk, tokenrefresh.Config{Store: store})
	defer r.Close()
	if _, err := r.Token(bounded(t)); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.urls) != 1 {
		t.Errorf("browser opened %d times; want 1: the second start resumes the saved login", len(b.urls))
	}
}

// TestOfflineAccessAsksForConsent: OpenID Connect Core 11 has a request
// for offline_access carry prompt=consent; oidc-provider otherwise drops
// the scope and issues no refresh token, so the Refresher dies with the
// first access token. A prompt the caller sets is kept.
func TestOfflineAccessAsksForConsent(t *testing.T) {
	tests := []struct {
		name       string
		scopes     []string
		authParams url.Values
		want       string
	}{
		{"offline_access", []string{"openid", "offline_access"}, nil, "consent"},
		{"offline_access with the caller's prompt", []string{"openid", "offline_access"}, url.Values{"prompt": {"login consent"}}, "login consent"},
		{"no offline_access", []string{"openid"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: "https://as.example/authorize", TokenURL: "https://as.example/token",
				Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "app"}, Scopes: tt.scopes, AuthParams: tt.authParams,
				RedirectURL: "https://app.example/cb"})
			if err != nil {
				t.Fatal(err)
			}
			authURL, _, err := ac.AuthURL()
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(authURL)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Query()["prompt"]; strings.Join(got, ",") != tt.want {
				t.Errorf("prompt = %q; want %q", got, tt.want)
			}
		})
	}
}
