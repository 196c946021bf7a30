package oauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
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

	"github.com/bearer-go/bearer/internal/fakeauth"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
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
		AuthURL:     f.auth.URL + fakeauth.AuthorizePath,
		TokenURL:    f.tokenURL(),
		Client:      oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: f.client.ClientID, Secret: secret.New(f.client.ClientSecret)},
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
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+s.redirect(q).Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		s.mu.Lock()
		s.tokenF = r.PostForm
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at","refresh_token":"rt","expires_in":60}`))
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

func TestLoginShowsServerError(t *testing.T) {
	f := setupFake(t, fixedNow)
	f.srv.DenyAuthorizations("access_denied", "The user <b>refused</b>")
	b := &browser{}
	_, err := newAuthCode(t, f, fixedNow, b.open).Login(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || !errors.Is(err, oauth.ErrAccessDenied) || oe.Description != "The user <b>refused</b>" || !oe.Permanent() {
		t.Fatalf("Login() when denied = %v; want a permanent *Error access_denied with the description", err)
	}
	if !strings.Contains(err.Error(), f.auth.URL+fakeauth.AuthorizePath) {
		t.Errorf("Error() = %q; want it to name the authorization endpoint", err)
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

func TestLoginPrintsURLWhenNoBrowser(t *testing.T) {
	s := newRecordingAuthServer(t, echoCode)
	var out bytes.Buffer
	b := &browser{refused: true}
	ac := s.flow(t, oauth.AuthCodeConfig{Timeout: 50 * time.Millisecond, OpenBrowser: b.open, Output: &out})
	if _, err := ac.Login(bounded(t)); !errors.Is(err, oauth.ErrLoginTimeout) {
		t.Fatalf("Login() = %v; want a timeout", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !strings.Contains(out.String(), b.urls[0]) {
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
