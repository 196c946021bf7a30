package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/seed002"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runDemo runs the demo against s and checks each of its points: the
// untrusted certificate named, the wrong password refused with the
// server's reason, and the session kept across the server's restart with
// one new login, on the 403.
func runDemo(t *testing.T, s *server, subject string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, s); err != nil {
		t.Fatalf("run() = %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"is not trusted (subject \"" + subject + "\"",
		"SHA-256 ",
		"403 Forbidden: Verification failed (realm \"Password incorrect\"): check the username and password",
		"the server's reason: \"Password incorrect\"; credentials refused: true; a permission error: false",
		"msg=\"login: the server ended the session; logging in again\" status=403",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "GET /get-info: Secret-number 42"); n != 3 {
		t.Errorf("output has %d successful GET /get-info; want 3:\n%s", n, got)
	}
	if n := strings.Count(got, "msg=\"login: logged in\""); n != 2 {
		t.Errorf("output shows %d logins of the session; want 2, one after the restart:\n%s", n, got)
	}
	if strings.Contains(got, "alice_pw") || strings.Contains(got, "wrong_pw") {
		t.Errorf("output shows a password:\n%s", got)
	}
	return got
}

// TestCookieLogin runs the demo as go run does, against login/sessiontest.
func TestCookieLogin(t *testing.T) {
	s, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	runDemo(t, s, "CN=127.0.0.1,O=bearer sessiontest")
}

// TestCookieLoginAgainstTheSeedsServer runs the demo against the seed's
// own Flask server, restarted by its pid: the configuration the demo
// shows is what that server needs.
func TestCookieLoginAgainstTheSeedsServer(t *testing.T) {
	srv := seed002.Start(t)
	s := &server{url: srv.URL, certPEM: srv.CertPEM, restart: srv.Restart, close: func() {}}
	runDemo(t, s, "CN=127.0.0.1,O=bearer sessiontest")
	// One refused login, the session's two; the untrusting client never
	// reached the server's login.
	if n := srv.Requests(t, http.MethodPost, "/login"); n != 3 {
		t.Errorf("the seed's server logged %d logins; want 3", n)
	}
}
