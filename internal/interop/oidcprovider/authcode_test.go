package oidcprovider_test

import (
	"context"
	"errors"
	"github.com/bearer-go/bearer/internal/testkeys"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// nativeApp is the public native client's code flow, configured from the
// server's discovered metadata, signing in through a browser.
func nativeApp(t *testing.T, s *server, log *logs, open func(context.Context, string) error) *oauth.AuthCode {
	t.Helper()
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{Metadata: md, Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: nativeClient},
		Scopes:      []string{"openid", "offline_access", "read"},
		RedirectURL: "http://127.0.0.1/callback", OpenBrowser: open, Timeout: waitLimit,
		Settings: oauth.Settings{Logger: log.logger()}})
	if err != nil {
		t.Fatal(err)
	}
	return ac
}

// TestAuthorizationCodeLogin signs in as a native app through the
// loopback redirect, with the issuer at the server's root and under a
// path.
func TestAuthorizationCodeLogin(t *testing.T) {
	for _, mount := range []string{"", "/oidc"} {
		t.Run("issuer path \""+mount+"\"", func(t *testing.T) {
			s := startServer(t, serverConfig{MountPath: mount})
			var log logs
			tok, err := nativeApp(t, s, &log, newBrowser("").open).Login(bounded(t))
			if err != nil {
				t.Fatalf("Login() = %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" || oauth.IDToken(tok) == "" {
				t.Fatalf("Login() = %s; want access, refresh and ID tokens", shape(tok))
			}
			noSecret(t, "the log", log.String(), tok.AccessToken, tok.RefreshToken)
		})
	}
}

// TestAuthorizationResponseIss checks RFC 9207 against a server that
// sends iss: the web flow takes the response as it came, and refuses it
// with iss removed or changed.
func TestAuthorizationResponseIss(t *testing.T) {
	s := startServer(t, serverConfig{})
	var log logs
	ac := nativeApp(t, s, &log, nil)
	authURL, sess, err := ac.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(sess.RedirectURI)
	if err := b.open(bounded(t), authURL); err != nil || b.landed == nil {
		t.Fatalf("signing in: %v (landed at %v)", err, b.landed)
	}
	callback := b.callback
	if callback.Get("iss") != s.issuer {
		t.Fatalf("the authorization response's iss = %q; want %q", callback.Get("iss"), s.issuer)
	}
	for name, iss := range map[string][]string{"without iss": nil, "another iss": {s.issuer + "/other"}} {
		forged := url.Values{"code": callback["code"], "state": callback["state"], "iss": iss}
		if _, err := ac.Exchange(bounded(t), sess, forged); err == nil {
			t.Errorf("Exchange() %s = nil error; want it refused (RFC 9207 2.4)", name)
		}
	}
	tok, err := ac.Exchange(bounded(t), sess, callback)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("Exchange() = %s, %v; want access and refresh tokens", shape(tok), err)
	}
	noSecret(t, "the log", log.String(), callback.Get("code"), sess.Verifier.Reveal(), tok.RefreshToken)
}

// TestRefresherRotationAcrossRestart signs in through a Refresher with a
// FileStore, rotates the refresh token, restarts the Refresher (no second
// sign-in), rotates again, then replays the first refresh token: the
// server detects the reuse and revokes the grant, and the Refresher
// reports the next refresh's invalid_grant as the token lost.
func TestRefresherRotationAcrossRestart(t *testing.T) {
	s := startServer(t, serverConfig{})
	var log logs
	store, err := tokenrefresh.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(clockStart())
	first := refresher(t, nativeApp(t, s, &log, newBrowser("").open), store, clk, &log)
	login := stored(t, store)
	rotated := rotate(t, first.r, clk, first.rotated)
	if err := first.r.Close(); err != nil {
		t.Fatal(err)
	}
	noLogin := func(context.Context, string) error { return errors.New("the restarted Refresher opened the browser") }
	second := refresher(t, nativeApp(t, s, &log, noLogin), store, clk, &log)
	if got := stored(t, store); got.RefreshToken != rotated.RefreshToken {
		t.Fatal("the restarted Refresher does not start from the stored, rotated token")
	}
	latest := rotate(t, second.r, clk, second.rotated)
	if latest.RefreshToken == rotated.RefreshToken || latest.RefreshToken == login.RefreshToken {
		t.Fatal("the second rotation returned an old refresh token")
	}

	// A thief replays the first refresh token.
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: s.url("/token"), Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: nativeClient},
		Settings: oauth.Settings{Logger: log.logger()}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.Refresh(bounded(t), login)
	if !errors.Is(err, oauth.ErrInvalidGrant) || !tokenrefresh.IsPermanent(err) {
		t.Fatalf("Refresh() with a rotated-out refresh token = %v; want a permanent invalid_grant", err)
	}
	lost := lose(t, second.r, clk)
	if !errors.Is(lost, oauth.ErrInvalidGrant) {
		t.Errorf("Refresher.Err() after the grant was revoked = %v; want invalid_grant", lost)
	}
	t.Logf("the replay: %v\nthe Refresher: %v", err, lost)
	secrets := []string{login.RefreshToken, rotated.RefreshToken, latest.RefreshToken, latest.AccessToken}
	noSecret(t, "the errors", describe(err)+describe(lost), secrets...)
	noSecret(t, "the log", log.String(), secrets...)
}

// running is a Refresher, the tokens it rotated to, and its store.
type running struct {
	r       *tokenrefresh.Refresher
	rotated chan *oauth2.Token
	store   tokenrefresh.Store
}

func refresher(t *testing.T, src oauth.Source, store tokenrefresh.Store, clk *fakeclock.Clock, log *logs) running {
	t.Helper()
	rotated := make(chan *oauth2.Token, 4)
	r, err := oauth.NewRefresher(bounded(t), src, tokenrefresh.Config{Store: store, Clock: clk, Jitter: -1, Logger: log.logger(),
		OnRotate: func(_, n *oauth2.Token) { rotated <- n }})
	if err != nil {
		t.Fatalf("NewRefresher() = %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return running{r: r, rotated: rotated, store: store}
}

func stored(t *testing.T, store tokenrefresh.Store) *oauth2.Token {
	t.Helper()
	e, err := store.Load(bounded(t))
	if err != nil {
		t.Fatalf("store.Load() = %v", err)
	}
	return e.Token.Reveal()
}

// rotate advances clk to r's refresh and returns the token it got.
func rotate(t *testing.T, r *tokenrefresh.Refresher, clk *fakeclock.Clock, rotated <-chan *oauth2.Token) *oauth2.Token {
	t.Helper()
	advanceToRefresh(t, clk)
	select {
	case tok := <-rotated:
		return tok
	case <-r.Lost():
		t.Fatalf("the refresh failed: %v", r.Err())
	case <-time.After(waitLimit):
		t.Fatal("no rotation")
	}
	return nil
}

// lose advances clk to r's refresh and returns why it lost the token.
func lose(t *testing.T, r *tokenrefresh.Refresher, clk *fakeclock.Clock) error {
	t.Helper()
	advanceToRefresh(t, clk)
	select {
	case <-r.Lost():
		return r.Err()
	case <-time.After(waitLimit):
		t.Fatal("the Refresher kept a token whose grant the server revoked")
	}
	return nil
}

func advanceToRefresh(t *testing.T, clk *fakeclock.Clock) {
	t.Helper()
	at, err := clk.AwaitTimer(bounded(t), func(time.Time) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(at.Sub(clk.Now()))
}

// clockStart is where a test's fake clock starts: now, since the server
// stamps tokens with its own clock.
func clockStart() time.Time { return time.Now() }

// TestUnregisteredRedirectFailsAtOnce: oidc-provider answers an
// authorization request with an unregistered redirect URI with a 400 HTML
// page, which Login reports at once, before opening any browser, with
// the error the page shows.
func TestUnregisteredRedirectFailsAtOnce(t *testing.T) {
	s := startServer(t, serverConfig{})
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	opened := false
	ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{Metadata: md, Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: nativeClient},
		Scopes: []string{"openid"}, RedirectPath: "/elsewhere", Timeout: waitLimit,
		OpenBrowser: func(context.Context, string) error { opened = true; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ac.Login(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.StatusCode != 400 || oe.Code != "invalid_redirect_uri" || opened {
		t.Errorf("Login() with an unregistered redirect URI = %v (browser opened: %v); want the server's 400 invalid_redirect_uri, before any browser", err, opened)
	}
}

// TestWebAppCodeFlow runs a confidential web application's code flow
// (private_key_jwt at the token endpoint) from its own handlers, with the
// response posted back (response_mode=form_post) as well as redirected,
// then refreshes its token.
func TestWebAppCodeFlow(t *testing.T) {
	s := startServer(t, serverConfig{})
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	key := testkeys.RSA()
	for _, mode := range []string{"query", "form_post"} {
		t.Run(mode, func(t *testing.T) {
			var log logs
			ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{Metadata: md, RedirectURL: webRedirect,
				Client: oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: webClient, Key: secret.NewSigner(key)},
				Scopes: []string{"openid", "offline_access", "read"}, AuthParams: url.Values{"response_mode": {mode}},
				Settings: oauth.Settings{Logger: log.logger()}})
			if err != nil {
				t.Fatal(err)
			}
			authURL, sess, err := ac.AuthURL()
			if err != nil {
				t.Fatal(err)
			}
			b := newBrowser(webRedirect)
			if err := b.open(bounded(t), authURL); err != nil || b.callback == nil {
				t.Fatalf("signing in: %v (came back with %v)", err, b.callback != nil)
			}
			tok, err := ac.Exchange(bounded(t), sess, b.callback)
			if err != nil || tok.RefreshToken == "" || oauth.IDToken(tok) == "" {
				t.Fatalf("Exchange() = %s, %v; want access, refresh and ID tokens", shape(tok), err)
			}
			next, err := ac.Refresh(bounded(t), tok)
			if err != nil || next.RefreshToken == tok.RefreshToken {
				t.Fatalf("Refresh() = %s, %v; want a rotated refresh token", shape(next), err)
			}
			noSecret(t, "the log", log.String(), b.callback.Get("code"), sess.Verifier.Reveal(), tok.RefreshToken, next.RefreshToken)
		})
	}
}

// TestPushedAuthorizationRequired: the SDK does not push authorization
// requests (RFC 9126). A server that requires it refuses the request,
// and Login says so at once, before any browser.
func TestPushedAuthorizationRequired(t *testing.T) {
	s := startServer(t, serverConfig{RequirePAR: true})
	var log logs
	opened := false
	_, err := nativeApp(t, s, &log, func(context.Context, string) error { opened = true; return nil }).Login(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_request" || !strings.Contains(oe.Description, "Pushed Authorization Request") || opened {
		t.Errorf("Login() at a server that requires pushed requests = %v (browser opened: %v); want the server's error, before any browser", err, opened)
	}
}
