package bearer_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// grantServer is an authorization server and a resource server that
// share one grant, answering as RFC 6749 and RFC 6750 say: while the
// grant stands, the refresh token r1 gets a new access token and the
// access tokens it issued are accepted; once revoked, the refresh
// answers 400 invalid_grant (RFC 6749 5.2) and the API 401 with a
// Bearer invalid_token challenge (RFC 6750 3.1).
type grantServer struct {
	as, api  *httptest.Server
	refresh  atomic.Int64 // refresh requests received
	requests atomic.Int64 // API requests received
	mu       sync.Mutex   // guards revoked
	revoked  bool
}

func newGrantServer(t *testing.T) *grantServer {
	t.Helper()
	g := &grantServer{}
	g.as = httptest.NewServer(http.HandlerFunc(g.token))
	g.api = httptest.NewServer(http.HandlerFunc(g.resource))
	t.Cleanup(g.as.Close)
	t.Cleanup(g.api.Close)
	return g
}

func (g *grantServer) revoke() {
	g.mu.Lock()
	g.revoked = true
	g.mu.Unlock()
}

func (g *grantServer) isRevoked() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.revoked
}

func (g *grantServer) token(w http.ResponseWriter, r *http.Request) {
	g.refresh.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if r.PostFormValue("grant_type") != "refresh_token" || r.PostFormValue("refresh_token") != "r1" || g.isRevoked() {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant","error_description":"The refresh token is invalid or has been revoked"}`)
		return
	}
	io.WriteString(w, `{"access_token":"a2","token_type":"Bearer","expires_in":3600,"refresh_token":"r1"}`)
}

func (g *grantServer) resource(w http.ResponseWriter, r *http.Request) {
	g.requests.Add(1)
	io.Copy(io.Discard, r.Body)
	if g.isRevoked() || (r.Header.Get("Authorization") != "Bearer a1" && r.Header.Get("Authorization") != "Bearer a2") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token", error_description="The access token has been revoked"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{}`)
}

// refresher returns a Refresher on g's grant, holding a valid a1.
func (g *grantServer) refresher(t *testing.T) *tokenrefresh.Refresher {
	t.Helper()
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: g.as.URL, RefreshToken: secret.New("r1")})
	if err != nil {
		t.Fatal(err)
	}
	initial := &oauth2.Token{AccessToken: "a1", TokenType: "Bearer", RefreshToken: "r1", Expiry: time.Now().Add(time.Hour)}
	r, err := oauth.NewRefresher(context.Background(), rt, tokenrefresh.Config{Initial: secret.New(initial)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// The first API call after the grant was revoked fails with the refresh's
// invalid_grant, not a plain 401: through the Client and the Transport,
// with a body that can be sent again and with one that cannot.
func TestFirstCallAfterRevokedGrantSaysInvalidGrant(t *testing.T) {
	calls := map[string]func(t *testing.T, g *grantServer, r *tokenrefresh.Refresher) error{
		"Client GET": func(t *testing.T, g *grantServer, r *tokenrefresh.Refresher) error {
			c := newClient(t, g.api.URL, bearer.WithTokenSource(r), bearer.WithRetryMax(0))
			return c.Get(context.Background(), "/x", nil)
		},
		"Client streamed POST": func(t *testing.T, g *grantServer, r *tokenrefresh.Refresher) error {
			c := newClient(t, g.api.URL, bearer.WithTokenSource(r), bearer.WithRetryMax(0))
			req, _ := c.NewRequest(context.Background(), "POST", "/x", io.MultiReader(strings.NewReader("streamed")))
			_, err := c.Do(req, nil)
			return err
		},
		"Transport GET": func(t *testing.T, g *grantServer, r *tokenrefresh.Refresher) error {
			return transportCall(g, r, nil)
		},
		"Transport streamed POST": func(t *testing.T, g *grantServer, r *tokenrefresh.Refresher) error {
			return transportCall(g, r, io.MultiReader(strings.NewReader("streamed")))
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			g := newGrantServer(t)
			r := g.refresher(t)
			if err := call(t, g, r); err != nil {
				t.Fatalf("before the revocation: %v", err)
			}
			g.revoke()
			err := call(t, g, r)
			if !errors.Is(err, oauth.ErrInvalidGrant) {
				t.Errorf("first call after the revocation = %v; want an error matching oauth.ErrInvalidGrant", err)
			}
			var te *bearer.TokenError
			if !errors.As(err, &te) {
				t.Errorf("first call after the revocation = %T; want a *bearer.TokenError", err)
			}
			if n := g.requests.Load(); n != 2 {
				t.Errorf("the API saw %d requests; want 2 (one before, one after: no replay without a token)", n)
			}
			if n := g.refresh.Load(); n != 1 {
				t.Errorf("the token endpoint saw %d refreshes; want 1", n)
			}
		})
	}
}

// transportCall sends a request with body (nil for a GET) through a
// bearer.Transport on r.
func transportCall(g *grantServer, r *tokenrefresh.Refresher, body io.Reader) error {
	method := http.MethodGet
	if body != nil {
		method = http.MethodPost
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, g.api.URL+"/x", body)
	hc := &http.Client{Transport: &bearer.Transport{Source: r}}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}
