package jwtapitest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/login/jwtapitest"
)

func TestSecretsNeverPrinted(t *testing.T) {
	var logs bytes.Buffer
	f := setup(t, jwtapitest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	api := f.api

	if _, err := api.AddUser("leia@rebels.org", password, jwtapitest.RoleBasic); err != nil {
		t.Fatal(err)
	}
	tokens := f.signup(t, "luke@rebels.org")
	f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", password)) // already logged in
	f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", "Wr0ngPassX"))
	f.films(t, tokens.Token)
	f.films(t, tokens.RefreshToken)
	f.logout(t, tokens.Token)
	again := f.login(t, "luke@rebels.org")
	next := refreshOK(t, f.refresh(t, again.RefreshToken, again.Token))

	var lr jwtapitest.LoginResponse
	var rr jwtapitest.RefreshResponse
	if err := json.Unmarshal(f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("leia@rebels.org", password)).body, &lr); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.refresh(t, lr.RefreshToken.Reveal(), lr.Token.Reveal()).body, &rr); err != nil {
		t.Fatal(err)
	}
	marshalled, _ := json.Marshal([]any{lr, rr})
	slog.New(slog.NewTextHandler(&logs, nil)).Info("responses", "login", lr, "refresh", rr)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("responses", "login", lr, "refresh", rr)
	printed := logs.String() + string(marshalled)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		printed += fmt.Sprintf(verb+" "+verb+" "+verb+" "+verb+"\n", api, lr, rr, &lr)
	}
	secrets := []string{password, "Wr0ngPassX", tokens.Token, tokens.RefreshToken, next.Token, next.RefreshToken,
		lr.Token.Reveal(), lr.RefreshToken.Reveal(), rr.Token.Reveal(), rr.RefreshToken.Reveal(),
		string(accessSecret), string(refreshSecret)}
	for _, s := range secrets {
		if strings.Contains(printed, s) {
			t.Errorf("a secret reached the logs or a printed value: %q in\n%s", s, printed)
		}
	}
	if !strings.Contains(logs.String(), "luke@rebels.org") || !strings.Contains(printed, "REDACTED") {
		t.Errorf("logs and printed values say nothing useful:\n%s", printed)
	}
}
