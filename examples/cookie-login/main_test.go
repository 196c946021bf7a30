package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCookieLogin runs the demo and checks each of its points: the
// untrusted certificate named, the wrong password sent once, and the
// session kept across the server's reset with one new login.
func TestCookieLogin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run() = %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"is not trusted (subject \"CN=127.0.0.1,O=bearer sessiontest\"",
		"SHA-256 ",
		"check the username and password",
		"login requests sent: 1\n",
		"GET /whoami: Alice, logged in at ",
		"msg=\"login: the server ended the session; logging in again\" status=401",
		"Done: 2 logins, 1 request rejected for an ended session, 3 served.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "GET /get-info: Secret-number 42"); n != 2 {
		t.Errorf("output has %d successful GET /get-info; want 2:\n%s", n, got)
	}
	if strings.Contains(got, "alice_pw") || strings.Contains(got, "wrong_pw") {
		t.Errorf("output shows a password:\n%s", got)
	}
}
