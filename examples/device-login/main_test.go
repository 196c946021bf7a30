package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"-demo"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("run(-demo) = %d; want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"no stored token: signing in on another device",
		"and enter the code:",
		"which carries the code",
		"found a token",
		"the stored token was due: refreshed it",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if !regexp.MustCompile(`    [BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}\n`).MatchString(got) {
		t.Errorf("output lacks a user code of RFC 8628 6.1's form:\n%s", got)
	}
	// The user approves after two polls: three waits of the 5 s interval.
	if n := strings.Count(got, "demo: 5s pass"); n != 3 {
		t.Errorf("the device polled after %d waits of 5s; want 3:\n%s", n, got)
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-client-id", "x"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Errorf("run without -issuer = %d, %q; want 2", code, errOut.String())
	}
}
