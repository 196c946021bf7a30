package oidcprovider_test

import (
	"context"
	"errors"
	"github.com/bearer-go/bearer/internal/testkeys"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// deviceApp is the public client's device grant; its user approves the
// code at once through the server's pages.
func deviceApp(t *testing.T, s *server, clk *fakeclock.Clock, dpop *oauth.DPoP, log *logs) *oauth.Device {
	t.Helper()
	return deviceAppAs(t, oauth.ClientAuth{Method: oauth.AuthNone, ID: deviceClient}, s, clk, dpop, log)
}

// deviceAppAs is deviceApp for another client.
func deviceAppAs(t *testing.T, client oauth.ClientAuth, s *server, clk *fakeclock.Clock, dpop *oauth.DPoP, log *logs) *oauth.Device {
	t.Helper()
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	approve := func(ctx context.Context, a *oauth.DeviceAuthorization) error {
		if a.VerificationURIComplete == "" || a.UserCode == "" {
			t.Errorf("DeviceAuthorization = %+v; want a user code and oidc-provider's verification_uri_complete", a)
		}
		return newBrowser("").open(ctx, a.VerificationURIComplete)
	}
	dev, err := oauth.NewDevice(oauth.DeviceConfig{Metadata: md, Client: client,
		Scopes: []string{"openid", "offline_access", "read"}, Prompt: approve, Clock: clk,
		Settings: oauth.Settings{DPoP: dpop, Logger: log.logger()}})
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// deviceRefresher signs in with the device grant through a Refresher with
// a FileStore, moving clk past the poll interval.
func deviceRefresher(t *testing.T, dev *oauth.Device, clk *fakeclock.Clock, log *logs) running {
	t.Helper()
	store, err := tokenrefresh.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan running, 1)
	go func() { started <- refresher(t, dev, store, clk, log) }()
	advanceToRefresh(t, clk) // the first poll, after the interval (RFC 8628 3.4)
	run := <-started
	run.store = store
	return run
}

func TestDeviceGrant(t *testing.T) {
	s := startServer(t, serverConfig{})
	key := testkeys.RSA()
	for name, client := range map[string]oauth.ClientAuth{
		"public":          {Method: oauth.AuthNone, ID: deviceClient},
		"private_key_jwt": {Method: oauth.PrivateKeyJWT, ID: confidentialDevice, Key: secret.NewSigner(key)},
	} {
		t.Run(name, func(t *testing.T) {
			var log logs
			clk := fakeclock.New(clockStart())
			run := deviceRefresher(t, deviceAppAs(t, client, s, clk, nil, &log), clk, &log)
			tok, err := run.r.Token(bounded(t))
			if err != nil || tok.RefreshToken == "" || tok.Type() != "Bearer" {
				t.Fatalf("Token() = %s, %v; want a bearer token with a refresh token", shape(tok), err)
			}
			next := rotate(t, run.r, clk, run.rotated)
			if next.RefreshToken == tok.RefreshToken {
				t.Error("the refresh did not rotate the refresh token")
			}
			noSecret(t, "the log", log.String(), tok.RefreshToken, next.RefreshToken, tok.AccessToken)
		})
	}
}

// TestDPoP gets DPoP-bound tokens with the device grant from a server
// that demands nonces, uses them at the userinfo endpoint (which checks
// the binding), refreshes them, checks that the token alone is refused
// there, and goes on after a restart of the Refresher from its FileStore.
func TestDPoP(t *testing.T) {
	d := newDPoPDevice(t, serverConfig{DPoPRequireNonce: true})
	userinfo(t, d.api)
	if status := plainBearer(t, d.s, d.tok.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo with the DPoP-bound token as a plain bearer token = %d; want 401", status)
	}
	next := rotate(t, d.r, d.clk, d.rotated)
	if next.Type() != "DPoP" || next.AccessToken == d.tok.AccessToken {
		t.Fatalf("the refresh gave %s; want a new DPoP-bound token", shape(next))
	}
	userinfo(t, d.api)
	boundToKey(t, d.s, next.AccessToken, d.dpop)

	// A restart: a new Refresher and a new DPoP of the same key, which
	// knows no nonce yet, go on from the store.
	if err := d.r.Close(); err != nil {
		t.Fatal(err)
	}
	again := newDPoP(t, d.key)
	restarted := refresher(t, deviceApp(t, d.s, d.clk, again, d.log), d.store, d.clk, d.log)
	third := rotate(t, restarted.r, d.clk, restarted.rotated)
	if third.Type() != "DPoP" || third.RefreshToken == next.RefreshToken {
		t.Fatalf("the restarted Refresher's refresh gave %s; want a new DPoP-bound token", shape(third))
	}
	userinfo(t, dpopClient(t, d.s, restarted.r, again, d.log))
	boundToKey(t, d.s, third.AccessToken, d.dpop)
	noSecret(t, "the log", d.log.String(), d.tok.RefreshToken, next.RefreshToken, third.RefreshToken, d.tok.AccessToken, next.AccessToken, third.AccessToken)
}

// userinfo asks the server who the token's user is, through api.
func userinfo(t *testing.T, api *bearer.Client) {
	t.Helper()
	var who struct {
		Sub string `json:"sub"`
	}
	if err := api.Get(bounded(t), "/me", &who); err != nil || who.Sub != "alice" {
		t.Fatalf("GET /me = %+v, %v; want alice's claims", who, err)
	}
}

// plainBearer sends token to the userinfo endpoint without a proof, and
// returns the status.
func plainBearer(t *testing.T, s *server, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(bounded(t), http.MethodGet, s.url("/me"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// introspect asks about token as the resource server.
func introspect(t *testing.T, s *server, token string) *oauth.Introspection {
	t.Helper()
	in, err := oauth.NewIntrospector(oauth.IntrospectionConfig{IntrospectionURL: s.url("/token/introspection"),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: apiClient, Secret: secret.New(apiSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := in.Introspect(bounded(t), token, "")
	if err != nil {
		t.Fatalf("Introspect() = %v", err)
	}
	return got
}

// TestRevokedGrant revokes the device's refresh token (and so its grant,
// access token included): the next API call fails, and says invalid_grant.
func TestRevokedGrant(t *testing.T) {
	s := startServer(t, serverConfig{})
	var log logs
	clk := fakeclock.New(clockStart())
	run := deviceRefresher(t, deviceApp(t, s, clk, nil, &log), clk, &log)
	tok, err := run.r.Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	api, err := bearer.NewClient(s.issuer, bearer.WithTokenSource(run.r), bearer.WithLogger(log.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	userinfo(t, api)
	rev, err := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: s.url("/token/revocation"),
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: deviceClient}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Revoke(bounded(t), tok.RefreshToken, oauth.HintRefreshToken); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	if in := introspect(t, s, tok.AccessToken); in.Active {
		t.Error("the access token is still active after its grant was revoked")
	}
	err = api.Get(bounded(t), "/me", nil)
	if !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("GET /me after the grant was revoked = %v; want an error that says invalid_grant", err)
	}
	t.Logf("the call after revocation: %v", err)
	noSecret(t, "the error", describe(err), tok.RefreshToken, tok.AccessToken)
	noSecret(t, "the log", log.String(), tok.RefreshToken, tok.AccessToken)
}
