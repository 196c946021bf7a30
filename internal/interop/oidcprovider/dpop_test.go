package oidcprovider_test

import (
	"crypto"
	"github.com/bearer-go/bearer/internal/testkeys"
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

// dpopDevice is a device app whose tokens are bound to a DPoP key: its
// server, key, clock, log, Refresher (with its store), first token, and
// an API client that sends them with proofs.
type dpopDevice struct {
	s    *server
	key  crypto.Signer
	dpop *oauth.DPoP
	clk  *fakeclock.Clock
	log  *logs
	running
	tok *oauth2.Token
	api *bearer.Client
}

// newDPoPDevice starts a server with cfg and signs the device app in with
// tokens bound to the EC test key.
func newDPoPDevice(t *testing.T, cfg serverConfig) *dpopDevice {
	t.Helper()
	key := testkeys.ECP256()
	d := &dpopDevice{s: startServer(t, cfg), key: key, dpop: newDPoP(t, key), clk: fakeclock.New(clockStart()), log: &logs{}}
	d.running = deviceRefresher(t, deviceApp(t, d.s, d.clk, d.dpop, d.log), d.clk, d.log)
	var err error
	if d.tok, err = d.r.Token(bounded(t)); err != nil || d.tok.Type() != "DPoP" {
		t.Fatalf("Token() = %s, %v; want a DPoP-bound token", shape(d.tok), err)
	}
	d.api = dpopClient(t, d.s, d.r, d.dpop, d.log)
	return d
}

func newDPoP(t *testing.T, key crypto.Signer) *oauth.DPoP {
	t.Helper()
	dpop, err := oauth.NewDPoP(oauth.DPoPConfig{Key: secret.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	return dpop
}

// dpopClient is an API client of the server that sends src's tokens with
// proofs of dpop's key; it is closed when the test ends.
func dpopClient(t *testing.T, s *server, src bearer.TokenSource, dpop *oauth.DPoP, log *logs) *bearer.Client {
	t.Helper()
	api, err := bearer.NewClient(s.issuer, bearer.WithTokenSource(src), bearer.WithDPoP(dpop), bearer.WithLogger(log.logger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return api
}

// boundToKey checks, by introspection, that accessToken is active and
// bound to dpop's key (RFC 9449 6.2).
func boundToKey(t *testing.T, s *server, accessToken string, dpop *oauth.DPoP) {
	t.Helper()
	in := introspect(t, s, accessToken)
	if cnf, _ := in.Extra["cnf"].(map[string]any); !in.Active || cnf["jkt"] != dpop.Thumbprint() {
		t.Errorf("Introspect() = active %v, cnf %v; want an active token bound to the key's thumbprint %s", in.Active, in.Extra["cnf"], dpop.Thumbprint())
	}
}

// TestDPoPClientCredentials binds a confidential client's token to a key,
// at a server that demands nonces.
func TestDPoPClientCredentials(t *testing.T) {
	s := startServer(t, serverConfig{DPoPRequireNonce: true})
	key := testkeys.ECP256()
	dpop := newDPoP(t, key)
	for name, auth := range clientAuths(t) {
		t.Run(name, func(t *testing.T) {
			tok, err := clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Client: auth, Scopes: []string{"read"},
				Settings: oauth.Settings{DPoP: dpop}})
			if err != nil || tok.Type() != "DPoP" {
				t.Fatalf("Token() = %s, %v; want a DPoP-bound token", shape(tok), err)
			}
			boundToKey(t, s, tok.AccessToken, dpop)
		})
	}
}

// TestRejectedAccessTokenIsReplaced has the server forget the access
// token of a DPoP-bound grant (revocation would end the grant): the API's
// 401, a DPoP challenge, makes the client drop it, the Refresher gets a
// new one with the refresh token, and the call succeeds, after exactly
// one refresh.
func TestRejectedAccessTokenIsReplaced(t *testing.T) {
	d := newDPoPDevice(t, serverConfig{DPoPRequireNonce: true})
	d.s.forget(t, d.tok.AccessToken)
	userinfo(t, d.api)
	var next *oauth2.Token
	select {
	case next = <-d.rotated:
	case <-time.After(waitLimit):
		t.Fatal("the call succeeded without a refresh")
	}
	if next.AccessToken == d.tok.AccessToken || next.Type() != "DPoP" {
		t.Errorf("after the 401 the Refresher got %s; want a new DPoP-bound token", shape(next))
	}
	if len(d.rotated) != 0 {
		t.Errorf("%d more refreshes; want one", len(d.rotated))
	}
	if status := plainBearer(t, d.s, next.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo with the new token as a plain bearer token = %d; want 401", status)
	}
	noSecret(t, "the log", d.log.String(), d.tok.AccessToken, d.tok.RefreshToken, next.AccessToken, next.RefreshToken)
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
	d := newDPoPDevice(t, serverConfig{DefaultRotation: true})
	prev := d.tok
	for range 2 {
		next := rotate(t, d.r, d.clk, d.rotated)
		if next.AccessToken == prev.AccessToken || next.RefreshToken != d.tok.RefreshToken || next.Type() != "DPoP" {
			t.Fatalf("the refresh gave %s; want a new DPoP-bound access token and the same refresh token", shape(next))
		}
		prev = next
	}
	if e, err := d.store.Load(bounded(t)); err != nil || e.Token.Reveal().AccessToken != prev.AccessToken {
		t.Errorf("the store does not hold the latest token: %v", err)
	}
}

// TestDPoPConcurrentCalls sends concurrent userinfo calls with one
// DPoP-bound token and one key, at a server that demands nonces: every
// proof is new (oidc-provider refuses a replayed jti), and every call
// gets through.
func TestDPoPConcurrentCalls(t *testing.T) {
	api := newDPoPDevice(t, serverConfig{DPoPRequireNonce: true}).api
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

// TestDPoPThroughTransport sends DPoP-bound tokens through a
// bearer.Transport in a plain http.Client, at a userinfo endpoint that
// demands nonces, and after the server forgot the access token.
func TestDPoPThroughTransport(t *testing.T) {
	d := newDPoPDevice(t, serverConfig{DPoPRequireNonce: true})
	hc := &http.Client{Timeout: waitLimit, Transport: &bearer.Transport{Source: d.r, DPoP: d.dpop}}
	get := func() {
		t.Helper()
		req, err := http.NewRequestWithContext(bounded(t), http.MethodGet, d.s.url("/me"), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET /me through the Transport = %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /me through the Transport = %s; want 200", resp.Status)
		}
	}
	get()
	d.s.forget(t, d.tok.AccessToken)
	get()
}
