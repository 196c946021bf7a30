package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(bounded(t), []string{"-demo"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("run(-demo) = %d; want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if got := strings.Count(out.String(), "logged in as demo@example.com"); got != 2 {
		t.Errorf("output shows %d logins; want 2 (password, then API client):\n%s", got, out.String())
	}
	if !strings.Contains(out.String(), "secret REDACTED") {
		t.Errorf("output does not redact the new client secret:\n%s", out.String())
	}
}

func TestFromEnvironment(t *testing.T) {
	srv, err := climateenginetest.New(oauthtest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	u := srv.AddUser("env@example.com", "env-password-CANARY")
	c, _ := srv.AddClient(oauthtest.Client{UserID: u.ID})
	auth := httptest.NewServer(srv)
	defer auth.Close()
	envs := map[string]map[string]string{
		"password": {"CLIMATEENGINE_EMAIL": "env@example.com", "CLIMATEENGINE_PASSWORD": "env-password-CANARY"},
		"client":   {"CLIMATEENGINE_CLIENT_ID": c.ClientID, "CLIMATEENGINE_CLIENT_SECRET": c.ClientSecret.Reveal()},
	}
	for name, env := range envs {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(bounded(t), []string{"-auth-url", auth.URL}, func(k string) string { return env[k] }, &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), "logged in as env@example.com") {
				t.Errorf("run = %d, %q, %q; want the account", code, out.String(), errOut.String())
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		var out, errOut bytes.Buffer
		env := map[string]string{"CLIMATEENGINE_EMAIL": "env@example.com", "CLIMATEENGINE_PASSWORD": "wrong-CANARY"}
		code := run(bounded(t), []string{"-auth-url", auth.URL}, func(k string) string { return env[k] }, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "check the credentials") || strings.Contains(errOut.String(), "CANARY") {
			t.Errorf("run = %d, %q; want 1 with advice and no password", code, errOut.String())
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run(bounded(t), nil, func(string) string { return "" }, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "-demo") {
			t.Errorf("run without credentials = %d, %q; want 2 and a hint", code, errOut.String())
		}
	})
}
