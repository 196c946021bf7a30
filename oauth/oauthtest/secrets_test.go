package oauthtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

// Every flow, successful or not, logs; no log line holds a secret.
func TestLogsHoldNoSecret(t *testing.T) {
	f := setup(t)
	c := f.client
	secrets := []string{testPassword, c.ClientSecret.Reveal()}
	cc := url.Values{"grant_type": {"client_credentials"}}

	tok := f.login(t)
	secrets = append(secrets, tok)
	const wrong = "wrong-password-xyzzy"
	secrets = append(secrets, wrong)
	postForm(t, f.auth.URL, passwordForm(testEmail, wrong), nil)
	postForm(t, f.auth.URL, cc, basic(c.ClientID, c.ClientSecret.Reveal()))
	postForm(t, f.auth.URL, cc, basic(c.ClientID, wrong))
	postForm(t, f.auth.URL, url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {wrong}}, nil)
	assertion := sign(t, f.assertionClaims(c), c.ClientSecret.Reveal())
	secrets = append(secrets, assertion)
	postForm(t, f.auth.URL, assertionForm(assertion), nil)
	postForm(t, f.auth.URL, assertionForm(assertion), nil) // replay

	a := withToken(t, http.MethodPost, f.auth.URL+oauthtest.ClientsPath, tok, nil)
	var created createdClient
	if err := json.Unmarshal(a.body, &created); err != nil || created.ClientSecret == "" {
		t.Fatalf("POST clients = %d %s: %v", a.status, a.body, err)
	}
	secrets = append(secrets, created.ClientSecret)
	withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, tok+"x", nil)
	f.srv.RevokeAll()
	withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, tok, nil)

	logs := f.logs.String()
	for _, want := range []string{"token issued", "token refused", "client created", "bearer token refused", "already used"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q; the test no longer exercises the logging it checks:\n%s", want, logs)
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("logs hold the secret %.8s…:\n%s", s, logs)
		}
	}
}

func TestClientRedactsItsSecret(t *testing.T) {
	c := oauthtest.Client{UserID: "u-1", ClientID: "c-1", ClientSecret: secret.New("very-secret-value")}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("client", "c", c)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("client", "c", c)
	js, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), string(js), buf.String()} {
		if strings.Contains(s, c.ClientSecret.Reveal()) || !strings.Contains(s, "c-1") || !strings.Contains(s, "REDACTED") {
			t.Errorf("printed client %q: want the id, REDACTED, and not the secret", s)
		}
	}
}
