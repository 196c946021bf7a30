package oauthtest_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// noKeepAlive opens a connection per request, so that a dropped one is
// never retried by Go's transport.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func TestStartServesAtItsIssuer(t *testing.T) {
	srv, ts := oauthtest.Start(t, oauthtest.Config{Key: testkeys.RSA()})
	srv.AddUser(testEmail, testPassword)
	a := do(t, mustRequest(t, http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server"))
	m := a.json(t)
	if m["issuer"] != ts.URL || m["token_endpoint"] != ts.URL+oauthtest.TokenPath {
		t.Errorf("metadata issuer, token_endpoint = %v, %v; want %s and its %s", m["issuer"], m["token_endpoint"], ts.URL, oauthtest.TokenPath)
	}
	mustToken(t, ts.URL, passwordForm(testEmail, testPassword), nil)
}

func TestStartClosesWhenTheTestEnds(t *testing.T) {
	var u string
	t.Run("inner", func(t *testing.T) {
		_, ts := oauthtest.Start(t, oauthtest.Config{Key: testkeys.RSA()})
		u = ts.URL
	})
	if resp, err := noKeepAlive.Get(u + "/.well-known/oauth-authorization-server"); err == nil {
		resp.Body.Close()
		t.Errorf("GET metadata after the test that started the server ended = %d; want a refused connection", resp.StatusCode)
	}
}

func TestPathsMoveTheEndpoints(t *testing.T) {
	f := setup(t, func(c *oauthtest.Config) {
		c.Paths = oauthtest.Paths{TokenEndpoint: "/oauth2/v1/token", UsersMe: "/whoami"}
	})
	a := do(t, formRequest(t, f.auth.URL+"/oauth2/v1/token", passwordForm(testEmail, testPassword)))
	if a.status != http.StatusOK {
		t.Fatalf("token at the configured path = %d %s; want 200", a.status, a.body)
	}
	tok, _ := a.json(t)["access_token"].(string)
	if a := withToken(t, http.MethodGet, f.auth.URL+"/whoami", tok, nil); a.status != http.StatusOK {
		t.Errorf("users/me at the configured path = %d; want 200", a.status)
	}
	if a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil); a.status != http.StatusNotFound {
		t.Errorf("token at the default path = %d; want 404", a.status)
	}
	m := do(t, mustRequest(t, http.MethodGet, f.auth.URL+"/.well-known/oauth-authorization-server")).json(t)
	if m["token_endpoint"] != oauthtest.DefaultIssuer+"/oauth2/v1/token" || m["authorization_endpoint"] != oauthtest.DefaultIssuer+oauthtest.AuthorizePath {
		t.Errorf("metadata endpoints = %v, %v; want the configured token path and the default authorize path",
			m["token_endpoint"], m["authorization_endpoint"])
	}
}

func TestPathsAreChecked(t *testing.T) {
	for _, p := range []oauthtest.Paths{
		{TokenEndpoint: "token"},
		{TokenEndpoint: oauthtest.AuthorizePath},
		{Clients: "/clients"},
	} {
		if _, err := oauthtest.New(oauthtest.Config{Key: testkeys.RSA(), Paths: p}); err == nil {
			t.Errorf("New(Paths: %+v) = nil error; want one", p)
		}
	}
}

func TestRefreshTokenRotationAndReuse(t *testing.T) {
	f := setup(t)
	rt, err := f.srv.IssueRefreshToken(f.client.ClientID, "offline_access")
	if err != nil {
		t.Fatal(err)
	}
	auth := basic(f.client.ClientID, f.client.ClientSecret.Reveal())
	a := postForm(t, f.auth.URL, refreshForm(rt), auth)
	next, _ := a.json(t)["refresh_token"].(string)
	if a.status != http.StatusOK || next == "" {
		t.Fatalf("refresh = %d %s; want 200 and a new refresh token", a.status, a.body)
	}
	if got, ok := f.srv.Successor(rt); !ok || got != next {
		t.Errorf("Successor(old) = %q, %v; want the new refresh token", got, ok)
	}
	if f.srv.Active(rt) || !f.srv.Active(next) || f.srv.Stats().Rotations != 1 {
		t.Errorf("Active(old), Active(new), Rotations = %v, %v, %d; want false, true, 1",
			f.srv.Active(rt), f.srv.Active(next), f.srv.Stats().Rotations)
	}
	wantError(t, postForm(t, f.auth.URL, refreshForm(rt), auth), http.StatusBadRequest, "error", "invalid_grant")
	if f.srv.Active(next) {
		t.Error("Active(new) after the old token was used again = true; want its family revoked (RFC 9700 4.14.2)")
	}
}

func TestIssueRefreshTokenNeedsAClient(t *testing.T) {
	f := setup(t)
	if _, err := f.srv.IssueRefreshToken("nobody", ""); err == nil {
		t.Error("IssueRefreshToken(unknown client) = nil error; want one")
	}
}

func TestFaultDropAfterApplyLosesARotation(t *testing.T) {
	f := setup(t)
	rt, err := f.srv.IssueRefreshToken(f.client.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultDropAfterApply, Method: http.MethodPost, Path: oauthtest.TokenPath})
	req := formRequest(t, f.auth.URL+oauthtest.TokenPath, refreshForm(rt))
	basic(f.client.ClientID, f.client.ClientSecret.Reveal())(req)
	if resp, err := noKeepAlive.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("refresh under FaultDropAfterApply = %d; want a transport error", resp.StatusCode)
	}
	next, ok := f.srv.Successor(rt)
	if !ok || f.srv.Active(rt) || !f.srv.Active(next) {
		t.Errorf("after a dropped rotation: successor %v, Active(old) %v, Active(new) %v; want true, false, true",
			ok, f.srv.Active(rt), f.srv.Active(next))
	}
	if st := f.srv.Stats(); st.Rotations != 1 || st.Dropped != 1 || st.Faults != 1 {
		t.Errorf("Stats() = %+v; want 1 rotation, 1 dropped, 1 fault", st)
	}
}

func TestFaultDropAppliesNothing(t *testing.T) {
	f := setup(t)
	rt, err := f.srv.IssueRefreshToken(f.client.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultDrop, Path: oauthtest.TokenPath})
	req := formRequest(t, f.auth.URL+oauthtest.TokenPath, refreshForm(rt))
	basic(f.client.ClientID, f.client.ClientSecret.Reveal())(req)
	if resp, err := noKeepAlive.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("refresh under FaultDrop = %d; want a transport error", resp.StatusCode)
	}
	if _, rotated := f.srv.Successor(rt); rotated || !f.srv.Active(rt) {
		t.Errorf("after a dropped request: rotated %v, Active(old) %v; want false, true", rotated, f.srv.Active(rt))
	}
}

func TestFaultMatchesMethod(t *testing.T) {
	f := setup(t)
	tok := f.login(t)
	mustInject(t, f.srv, oauthtest.Fault{Kind: oauthtest.FaultStatus, Method: "get", Status: 503, Count: -1})
	mustToken(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if a := withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, tok, nil); a.status != http.StatusServiceUnavailable {
		t.Errorf("GET users/me under a GET fault = %d; want 503", a.status)
	}
}

func TestFaultBlockHoldsUntilReleased(t *testing.T) {
	f := setup(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultDelay, Path: oauthtest.TokenPath, Block: release,
		OnMatch: func() { close(arrived) }})
	got := make(chan int, 1)
	req := formRequest(t, f.auth.URL+oauthtest.TokenPath, passwordForm(testEmail, testPassword))
	go func() {
		resp, err := testClient.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-arrived
	select {
	case status := <-got:
		t.Fatalf("a blocked request was answered %d before its release", status)
	default:
	}
	if n := f.srv.Stats().TokensIssued; n != 0 {
		t.Fatalf("TokensIssued while the request is held = %d; want 0", n)
	}
	close(release)
	if status := <-got; status != http.StatusOK {
		t.Errorf("released request = %d; want 200", status)
	}
}

func TestServerPrintsNoSecret(t *testing.T) {
	f := setup(t)
	rt, err := f.srv.IssueRefreshToken(f.client.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{rt, f.client.ClientSecret.Reveal(), f.login(t)}
	var out strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		fmt.Fprintf(&out, verb+"\n", f.srv)
	}
	slog.New(slog.NewTextHandler(&out, nil)).Info("m", "srv", f.srv)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("m", "srv", f.srv)
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("a rendering of the Server shows a secret %.8s…:\n%s", s, out.String())
		}
	}
	if got := fmt.Sprint(f.srv); got != "oauthtest.Server{REDACTED}" {
		t.Errorf("Sprint(Server) = %q; want oauthtest.Server{REDACTED}", got)
	}
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func formRequest(t *testing.T, u string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
