package main

import (
	"bytes"
	"context"
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
	for _, want := range []string{
		"signing in through the browser",
		"browser: 200 OK -> 127.0.0.1:",
		"token file mode: -rw-------",
		"found a token",
		"refreshed it (refresh token rotated: true) and saved it",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-client-id", "x"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Errorf("run without URLs = %d, %q; want 2", code, errOut.String())
	}
}
