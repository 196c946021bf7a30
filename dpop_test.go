package bearer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/boundtest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// dpopSetup starts a server that verifies DPoP proofs, and a Refresher
// of client_credentials tokens bound to a new key d.
func dpopSetup(t *testing.T) (*boundtest.DPoP, *oauth.DPoP, *tokenrefresh.Refresher) {
	t.Helper()
	srv := boundtest.NewDPoP(t, nil)
	d, err := oauth.NewDPoP(oauth.DPoPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return srv, d, startRefresher(t, oauth.ClientCredentialsConfig{
		TokenURL: srv.URL + "/token",
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: boundtest.ClientID, Secret: secret.New(boundtest.ClientSecret)},
		Settings: oauth.Settings{DPoP: d},
	})
}

// startRefresher starts a Refresher of the client_credentials grant cfg,
// closed when t ends.
func startRefresher(t *testing.T, cfg oauth.ClientCredentialsConfig) *tokenrefresh.Refresher {
	t.Helper()
	cc, err := oauth.NewClientCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := oauth.NewRefresher(context.Background(), cc, tokenrefresh.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// dpopCallers are the two ways to send API requests with DPoP: the
// Client with WithDPoP, and a Transport with DPoP set.
func dpopCallers(t *testing.T, base string, src bearer.TokenSource, d bearer.Prover) map[string]func(path string) error {
	c := newClient(t, base, bearer.WithTokenSource(src), bearer.WithDPoP(d), bearer.WithRetryMax(0))
	hc := &http.Client{Transport: &bearer.Transport{Source: src, DPoP: d}}
	return map[string]func(string) error{
		"Client": func(path string) error { return c.Get(context.Background(), path, nil) },
		"Transport": func(path string) error {
			resp, err := hc.Get(base + path)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d: %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
			return nil
		},
	}
}

// A DPoP-bound token goes with "Authorization: DPoP" and a new proof per
// request, which the server verifies (signature, htm, htu without the
// query, iat, jti never seen before, ath the token's hash, the token's
// key): through the Client and the Transport.
func TestDPoPAPIRequestsCarryProofs(t *testing.T) {
	srv, d, r := dpopSetup(t)
	for name, call := range dpopCallers(t, srv.URL, r, d) {
		t.Run(name, func(t *testing.T) {
			before := len(srv.Proofs())
			for range 2 {
				if err := call("/items?page=2"); err != nil {
					t.Fatalf("GET /items = %v", err)
				}
			}
			proofs := srv.Proofs()[before:]
			if len(proofs) != 2 {
				t.Fatalf("the API accepted %d proofs; want 2", len(proofs))
			}
			for _, p := range proofs {
				if p.Claims["htm"] != "GET" || p.Claims["htu"] != srv.URL+"/items" || p.JKT != d.Thumbprint() || p.Claims["ath"] == nil {
					t.Errorf("proof = %v (key %s); want htm GET, htu %s/items, an ath, key %s", p.Claims, p.JKT, srv.URL, d.Thumbprint())
				}
			}
			if proofs[0].Claims["jti"] == proofs[1].Claims["jti"] {
				t.Error("two requests sent the same jti")
			}
		})
	}
}

// A resource server that requires a nonce answers 401 use_dpop_nonce with
// one (RFC 9449 9): the request is sent once more with it, and the next
// request carries it from the start. The token is not replaced.
func TestDPoPResourceServerNonce(t *testing.T) {
	for _, name := range []string{"Client", "Transport"} {
		t.Run(name, func(t *testing.T) {
			srv, d, r := dpopSetup(t)
			srv.RequireNonce("", "rs-nonce-1")
			call := dpopCallers(t, srv.URL, r, d)[name]
			for i, want := range []int{2, 3} {
				if err := call("/items"); err != nil {
					t.Fatalf("GET #%d = %v", i+1, err)
				}
				if tokens, api := srv.Counts(); api != want || tokens != 1 {
					t.Errorf("after GET #%d the server saw %d API and %d token requests; want %d and 1", i+1, api, tokens, want)
				}
			}
			if p := srv.Proofs(); p[len(p)-1].Claims["nonce"] != "rs-nonce-1" {
				t.Errorf("the last proof's nonce = %v; want rs-nonce-1", p[len(p)-1].Claims["nonce"])
			}
		})
	}
}

// dpopSource hands out one DPoP-bound token and counts invalidations.
type dpopSource struct{ invalidated atomic.Int64 }

func (s *dpopSource) Token(context.Context) (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: "bound-token", TokenType: "DPoP"}, nil
}
func (s *dpopSource) Invalidate(*oauth2.Token) { s.invalidated.Add(1) }

// A server that asks for a new nonce again after the retry gets no third
// request (RFC 9449 9 allows one retry): its 401 is returned, and the
// token, which is good, is not invalidated.
func TestDPoPResourceNonceRetriedOnce(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("DPoP-Nonce", fmt.Sprintf("n-%d", n.Add(1)))
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	d, _ := oauth.NewDPoP(oauth.DPoPConfig{})
	src := &dpopSource{}
	err := newClient(t, srv.URL, bearer.WithTokenSource(src), bearer.WithDPoP(d), bearer.WithRetryMax(0)).
		Get(context.Background(), "/x", nil)
	var ae *bearer.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized || ae.Code != "use_dpop_nonce" {
		t.Errorf("Get = %v; want the 401 use_dpop_nonce APIError", err)
	}
	if n.Load() != 2 || src.invalidated.Load() != 0 {
		t.Errorf("%d requests, %d invalidations; want 2 and 0", n.Load(), src.invalidated.Load())
	}
}

// A streamed body is sent once: a use_dpop_nonce answer to it is
// returned, the token is kept, and the next request carries the nonce.
func TestDPoPStreamedBodyNonce(t *testing.T) {
	srv, d, r := dpopSetup(t)
	srv.RequireNonce("", "rs-nonce-1")
	c := newClient(t, srv.URL, bearer.WithTokenSource(r), bearer.WithDPoP(d), bearer.WithRetryMax(0))
	req, _ := c.NewRequest(context.Background(), "POST", "/upload", io.MultiReader(strings.NewReader("streamed")))
	_, err := c.Do(req, nil)
	var ae *bearer.APIError
	if !errors.As(err, &ae) || ae.Code != "use_dpop_nonce" {
		t.Errorf("streamed POST = %v; want the use_dpop_nonce APIError", err)
	}
	if err := c.Get(context.Background(), "/items", nil); err != nil {
		t.Errorf("the next GET = %v; want it sent with the nonce", err)
	}
	if tokens, api := srv.Counts(); api != 2 || tokens != 1 {
		t.Errorf("the server saw %d API and %d token requests; want 2 and 1", api, tokens)
	}
}

// After a rejected token, the replay with the new token carries a new
// proof: the server, which refuses a jti it has seen, accepts it.
func TestDPoPReplayHasANewProof(t *testing.T) {
	for _, name := range []string{"Client", "Transport"} {
		t.Run(name, func(t *testing.T) {
			srv, d, r := dpopSetup(t)
			call := dpopCallers(t, srv.URL, r, d)[name]
			if err := call("/items"); err != nil {
				t.Fatal(err)
			}
			srv.DropAccessTokens()
			if err := call("/items"); err != nil {
				t.Fatalf("GET after the token was dropped = %v; want a replay with a new token", err)
			}
			if tokens, api := srv.Counts(); api != 3 || tokens != 2 {
				t.Errorf("the server saw %d API and %d token requests; want 3 and 2", api, tokens)
			}
		})
	}
}

// A DPoP-bound token is never sent without a proof: a client without the
// key fails before sending, and says to give it.
func TestDPoPTokenWithoutKeyIsNotSent(t *testing.T) {
	srv, _, r := dpopSetup(t)
	err := newClient(t, srv.URL, bearer.WithTokenSource(r), bearer.WithRetryMax(0)).Get(context.Background(), "/items", nil)
	if err == nil || !strings.Contains(err.Error(), "WithDPoP") {
		t.Errorf("Get without WithDPoP = %v; want an error that says to use WithDPoP", err)
	}
	hc := &http.Client{Transport: &bearer.Transport{Source: r}}
	if resp, err := hc.Get(srv.URL + "/items"); err == nil || !strings.Contains(err.Error(), "Transport.DPoP") {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("Transport without DPoP = %v; want an error that says to set Transport.DPoP", err)
	}
	if _, api := srv.Counts(); api != 0 {
		t.Errorf("the API saw %d requests; want none", api)
	}
}
