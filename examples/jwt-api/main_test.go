package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestJWTAPI runs the demo with its real pacing and checks that the token
// was refreshed across several expiries without a failed call, that the
// admins' endpoint gave a permission error, and that the logged-out token
// was refused. With -short it makes three quick calls instead.
func TestJWTAPI(t *testing.T) {
	s := defaultSettings()
	minRefreshes := 2 // about 8 s of 4 s tokens, refreshed 2 s early
	if testing.Short() {
		s.calls, s.every, minRefreshes = 3, 10*time.Millisecond, 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, s); err != nil {
		t.Fatalf("run() = %v\n%s", err, out.String())
	}
	got := out.String()
	m := regexp.MustCompile(`Done: (\d+) calls, (\d+) failed; (\d+) login, (\d+) refreshes, (\d+) logout;`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no summary in the output:\n%s", got)
	}
	refreshes, _ := strconv.Atoi(m[4])
	if m[2] != "0" || m[3] != "1" || m[5] != "1" || refreshes < minRefreshes {
		t.Errorf("failed=%s logins=%s refreshes=%d logouts=%s; want 0 failed, 1 login, >= %d refreshes, 1 logout\n%s",
			m[2], m[3], refreshes, m[5], minRefreshes, got)
	}
	if n := strings.Count(got, "token refreshed;"); n != refreshes {
		t.Errorf("the output shows %d refreshes; the API made %d\n%s", n, refreshes, got)
	}
	for _, want := range []string{
		"Signed up luke@rebels.org, and verified the email.",
		"401 Unauthorized: authorisation-required",
		"a *login.PermissionError: true; matches bearer.ErrForbidden: true",
		"400 Bad Request: user-already-logged-in: the server refuses a new login while this user is logged in",
		"login.ErrAlreadyLoggedIn: true",
		"The last access token after the logout: 401 token-invalid",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, password) {
		t.Errorf("output shows the password:\n%s", got)
	}
}
