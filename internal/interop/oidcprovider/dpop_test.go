package oidcprovider_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// TestDPoPClientCredentials binds a confidential client's token to a key,
// at a server that demands nonces.
func TestDPoPClientCredentials(t *testing.T) {
	s := startServer(t, serverConfig{DPoPRequireNonce: true})
	_, key := testKeys(t)
	dpop, err := oauth.NewDPoP(oauth.DPoPConfig{Key: secret.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range clientAuths(t) {
		t.Run(name, func(t *testing.T) {
			cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Client: auth, Scopes: []string{"read"},
				Settings: oauth.Settings{DPoP: dpop}})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := cc.Token(bounded(t))
			if err != nil || tok.Type() != "DPoP" {
				t.Fatalf("Token() = %s, %v; want a DPoP-bound token", shape(tok), err)
			}
			in := introspect(t, s, tok.AccessToken)
			if cnf, _ := in.Extra["cnf"].(map[string]any); !in.Active || cnf["jkt"] != dpop.Thumbprint() {
				t.Errorf("Introspect() = active %v, cnf %v; want an active token bound to %s", in.Active, in.Extra["cnf"], dpop.Thumbprint())
			}
		})
	}
}

// TestRejectedAccessTokenIsReplaced has the server forget the access
// token of a DPoP-bound grant (revocation would end the grant): the API's
// 401, a DPoP challenge, makes the client drop it, the Refresher gets a
// new one with the refresh token, and the call succeeds, after exactly
// one refresh.
func TestRejectedAccessTokenIsReplaced(t *testing.T) {
	s := startServer(t, serverConfig{DPoPRequireNonce: true})
	_, key := testKeys(t)
	dpop, err := oauth.NewDPoP(oauth.DPoPConfig{Key: secret.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	var log logs
	clk := fakeclock.New(clockStart())
	run := deviceRefresher(t, deviceApp(t, s, clk, dpop, &log), clk, &log)
	tok, err := run.r.Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	api, err := bearer.NewClient(s.issuer, bearer.WithTokenSource(run.r), bearer.WithDPoP(dpop), bearer.WithLogger(log.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	s.forget(t, tok.AccessToken)
	userinfo(t, api)
	var next *oauth2.Token
	select {
	case next = <-run.rotated:
	case <-time.After(waitLimit):
		t.Fatal("the call succeeded without a refresh")
	}
	if next.AccessToken == tok.AccessToken || next.Type() != "DPoP" {
		t.Errorf("after the 401 the Refresher got %s; want a new DPoP-bound token", shape(next))
	}
	if len(run.rotated) != 0 {
		t.Errorf("%d more refreshes; want one", len(run.rotated))
	}
	if status := plainBearer(t, s, next.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo with the new token as a plain bearer token = %d; want 401", status)
	}
	noSecret(t, "the log", log.String(), tok.AccessToken, tok.RefreshToken, next.AccessToken, next.RefreshToken)
}

// forget has the server destroy the access token, and only it.
func (s *server) forget(t *testing.T, accessToken string) {
	t.Helper()
	req, err := http.NewRequestWithContext(bounded(t), http.MethodPost, s.url("/test/forget-access-token"), strings.NewReader(accessToken))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("forgetting the access token: %s; want 204", resp.Status)
	}
}

// TestDPoPRefreshTokenNotRotated runs oidc-provider's own rotation policy,
// which keeps a DPoP-bound refresh token: each refresh answers with the
// same one, and the Refresher keeps refreshing with it.
func TestDPoPRefreshTokenNotRotated(t *testing.T) {
	s := startServer(t, serverConfig{DefaultRotation: true})
	_, key := testKeys(t)
	dpop, err := oauth.NewDPoP(oauth.DPoPConfig{Key: secret.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	var log logs
	clk := fakeclock.New(clockStart())
	run := deviceRefresher(t, deviceApp(t, s, clk, dpop, &log), clk, &log)
	first, err := run.r.Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	prev := first
	for range 2 {
		next := rotate(t, run.r, clk, run.rotated)
		if next.AccessToken == prev.AccessToken || next.RefreshToken != first.RefreshToken || next.Type() != "DPoP" {
			t.Fatalf("the refresh gave %s; want a new DPoP-bound access token and the same refresh token", shape(next))
		}
		prev = next
	}
	if e, err := run.store.Load(bounded(t)); err != nil || e.Token.Reveal().AccessToken != prev.AccessToken {
		t.Errorf("the store does not hold the latest token: %v", err)
	}
}

// TestDPoPConcurrentCalls sends concurrent userinfo calls with one
// DPoP-bound token and one key, at a server that demands nonces: every
// proof is new (oidc-provider refuses a replayed jti), and every call
// gets through.
func TestDPoPConcurrentCalls(t *testing.T) {
	s := startServer(t, serverConfig{DPoPRequireNonce: true})
	_, key := testKeys(t)
	dpop, err := oauth.NewDPoP(oauth.DPoPConfig{Key: secret.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	var log logs
	clk := fakeclock.New(clockStart())
	run := deviceRefresher(t, deviceApp(t, s, clk, dpop, &log), clk, &log)
	api, err := bearer.NewClient(s.issuer, bearer.WithTokenSource(run.r), bearer.WithDPoP(dpop))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	const callers, calls = 8, 5
	errs := make(chan error, callers*calls)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range calls {
				errs <- api.Get(bounded(t), "/me", nil)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("GET /me = %v", err)
		}
	}
}
