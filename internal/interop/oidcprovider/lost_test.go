package oidcprovider_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// TestLostRotationIsReported cuts the connection after oidc-provider has
// applied a refresh: the rotated refresh token, the only copy, never
// arrives. The Refresher retries with the old one, the server sees a
// reused refresh token and revokes the grant, and the Refresher reports
// the lineage lost (tokenrefresh.ErrLineageLost), with the server's
// invalid_grant, rather than a plain rejection.
func TestLostRotationIsReported(t *testing.T) {
	s := startServer(t, serverConfig{})
	var log logs
	clk := fakeclock.New(clockStart())
	login := deviceRefresher(t, deviceApp(t, s, clk, nil, &log), clk, &log)
	tok, err := login.r.Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := login.r.Close(); err != nil {
		t.Fatal(err)
	}

	// A proxy that sends the next token request on and cuts the
	// connection instead of answering.
	issuer, err := url.Parse(s.issuer)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(issuer)
	var cut atomic.Bool
	cut.Store(true)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cut.CompareAndSwap(true, false) {
			forward.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		forward.ServeHTTP(rec, r) // the server applies the refresh
		if rec.Code != http.StatusOK {
			t.Errorf("the cut refresh was answered %d; want it applied", rec.Code)
		}
		panic(http.ErrAbortHandler) // and the answer never arrives
	}))
	t.Cleanup(proxy.Close)

	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: proxy.URL + "/token",
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: deviceClient}, Settings: oauth.Settings{Logger: log.logger()}})
	if err != nil {
		t.Fatal(err)
	}
	run := refresher(t, rt, login.store, clk, &log)
	advanceToRefresh(t, clk) // the refresh that is cut
	lost := lose(t, run.r, clk)
	if !errors.Is(lost, tokenrefresh.ErrLineageLost) || !errors.Is(lost, oauth.ErrInvalidGrant) {
		t.Errorf("Refresher.Err() = %v; want the lineage lost, with the server's invalid_grant", lost)
	}
	noSecret(t, "the error", describe(lost), tok.RefreshToken, tok.AccessToken)
	noSecret(t, "the log", log.String(), tok.RefreshToken, tok.AccessToken)
}
