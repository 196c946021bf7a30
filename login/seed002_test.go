package login_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/seed002"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/login"
)

// seedClient returns a session client of seed 002's own server, trusting
// its certificate, logging to logs.
func seedClient(t *testing.T, srv *seed002.Server, cfg login.SessionConfig, logs *syncbuf.Buffer) *login.Client {
	t.Helper()
	c, err := login.NewSessionClient(srv.URL, cfg, login.WithLogger(logTo(logs)),
		login.WithBearerOptions(bearer.WithTrustedPEM(srv.CertPEM)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSeed002ServerRestart drives a session client against seed 002's own
// Flask server, its code as the seed writes it: a login, a request, a
// restart of the server (its process killed by its pid and started again
// on its port, which forgets every session), and a request that succeeds
// after a single new login, configured as the README says. Configured
// with the default statuses, the same request fails with the server's
// 403, message intact though it is labelled text/html.
func TestSeed002ServerRestart(t *testing.T) {
	srv := seed002.Start(t)
	logs := &syncbuf.Buffer{}
	c := seedClient(t, srv, session002(alice, alicePW), logs)
	cfg := session002(alice, alicePW)
	cfg.ReloginStatuses = nil
	plain := seedClient(t, srv, cfg, &syncbuf.Buffer{})
	for _, cl := range []*login.Client{c, plain} {
		if err := getInfo(t, cl); err != nil {
			t.Fatalf("GET /get-info: %v", err)
		}
	}
	srv.Restart()
	if err := getInfo(t, c); err != nil {
		t.Fatalf("GET /get-info after the restart: %v; want success after one new login", err)
	}
	if n := strings.Count(logs.String(), `msg="login: logged in"`); n != 2 {
		t.Errorf("the client logged in %d times; want 2:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), `msg="login: the server ended the session; logging in again" status=403`) {
		t.Errorf("the logs do not show the new login on the 403:\n%s", logs)
	}

	err := getInfo(t, plain)
	var ae *bearer.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden || ae.Message != "Alice denied access to resource" {
		t.Errorf("GET /get-info after the restart, 401 only = %v; want the server's 403 with its message", err)
	}
	// Two logins of c, one of plain; four GET /get-info before the last:
	// two before the restart, c's 403 and its replay.
	if n := srv.Requests(t, http.MethodPost, "/login"); n != 3 {
		t.Errorf("the server logged %d logins; want 3", n)
	}
	if n := srv.Requests(t, http.MethodGet, "/get-info"); n != 5 {
		t.Errorf("the server logged %d GET /get-info; want 5", n)
	}
}

// TestSeed002ServerRefusals: the seed's server refuses a wrong password
// with 403 and an unknown user with 401, each "Verification failed"
// labelled text/html with a realm that says why. The client keeps the
// message and the realm, matches ErrCredentialsRefused and not
// bearer.ErrForbidden, and sends the login once.
func TestSeed002ServerRefusals(t *testing.T) {
	srv := seed002.Start(t)
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			c := seedClient(t, srv, session002(tt.user, tt.pw), &syncbuf.Buffer{})
			for range 3 {
				checkRefused(t, getInfo(t, c), tt.status, tt.realm)
			}
		})
	}
	if n := srv.Requests(t, http.MethodPost, "/login"); n != len(refusals) {
		t.Errorf("the server logged %d logins; want %d, one per client", n, len(refusals))
	}
}
