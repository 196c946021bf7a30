package login_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/login"
)

// awaitLogoutRetry waits until the logout has planned its next try.
func (f *jwtFixture) awaitLogoutRetry(t *testing.T) {
	t.Helper()
	now := f.clk.Now()
	match := func(d time.Time) bool { return d.After(now) && !d.After(now.Add(login.LogoutRetryMax)) }
	if _, err := f.clk.AwaitTimer(testContext(t), match); err != nil {
		t.Fatalf("no logout retry planned: %v", err)
	}
}

// TestLogoutRetried: seed 004 answers a logout 503 while its Redis is
// down; the logout is tried again, and succeeds once Redis is back.
func TestLogoutRetried(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	f.api.SetRedisDown(true)
	done := make(chan error, 1)
	go func() { done <- c.Logout(testContext(t)) }()
	f.awaitLogoutRetry(t)
	f.api.SetRedisDown(false)
	f.clk.Advance(login.LogoutRetryMax)
	if err := <-done; err != nil {
		t.Fatalf("Logout = %v; want success on the second try", err)
	}
	if got := f.api.Stats(); got.Unavailable != 1 || got.Logouts != 1 {
		t.Errorf("Stats() = %+v; want one 503, then the logout", got)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "logout failed; trying again") || !strings.Contains(logs, "attempts=2") {
		t.Errorf("logs do not show the retry:\n%s", logs)
	}
}

// TestLogoutGivesUp: while the server keeps failing, the logout is tried
// again until its context ends, and the error says it was not logged out.
func TestLogoutGivesUp(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	f.api.SetRedisDown(true)
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() { done <- c.Logout(ctx) }()
	f.awaitLogoutRetry(t)
	f.clk.Advance(login.LogoutRetryMax) // the second try
	f.awaitLogoutRetry(t)
	cancel()
	err := <-done
	var le *login.Error
	if !errors.As(err, &le) || le.Op != "logout" || le.Response == nil || le.Response.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("Logout = %v; want a logout *login.Error with the server's 503", err)
	}
	for _, want := range []string{"service unavailable", "not logged out: 2 tries failed", "the logout's context ended", "stay valid on the server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if got := f.api.Stats(); got.Unavailable != 2 || got.Logouts != 0 {
		t.Errorf("Stats() = %+v; want two 503s and no logout", got)
	}
	if got := c.Close(); got != err {
		t.Errorf("Close after Logout = %v; want Logout's error", got)
	}
}

// TestLogoutDeadline: a try that would start after the logout's deadline
// is not waited for.
func TestLogoutDeadline(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	f.api.SetRedisDown(true)
	// The first wait is at least LogoutRetryMin/2 (the backoff's jitter
	// draws from its upper half): a deadline that far off has passed by
	// the time the second try would start.
	ctx, cancel := context.WithTimeout(testContext(t), login.LogoutRetryMin/2)
	defer cancel()
	err := c.Logout(ctx)
	if err == nil || !strings.Contains(err.Error(), "not logged out: 1 tries failed") {
		t.Errorf("Logout = %v; want it not tried again", err)
	}
	if got := f.api.Stats().Unavailable; got != 1 {
		t.Errorf("logout tries = %d; want 1", got)
	}
}

// TestLogoutRefusedIsNotRetried: an answer retrying cannot change (the
// token was revoked) ends the logout at once.
func TestLogoutRefusedIsNotRetried(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	f.api.Revoke(currentToken(t, c))
	err := c.Logout(testContext(t))
	var le *login.Error
	if !errors.As(err, &le) || le.Response == nil || le.Response.Code != "token-invalid" {
		t.Fatalf("Logout with a revoked token = %v; want the server's token-invalid", err)
	}
	if !strings.Contains(err.Error(), "the tokens may stay valid on the server until they expire") {
		t.Errorf("error %q; want it to say what the failure leaves", err)
	}
	if got := f.api.Stats(); got.TokenInvalid != 1 || got.Logouts != 0 {
		t.Errorf("Stats() = %+v; want one refused logout, not tried again", got)
	}
}
