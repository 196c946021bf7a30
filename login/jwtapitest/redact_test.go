package jwtapitest_test

import (
	"bytes"
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

	tokens := f.signup(t, "luke@rebels.org")
	f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", password)) // already logged in
	f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", "Wr0ngPassX"))
	f.films(t, tokens.Token)
	f.films(t, tokens.RefreshToken)
	f.logout(t, tokens.Token)
	again := f.login(t, "luke@rebels.org")
	next := decodeOK[jwtapitest.RefreshResponse](t, f.refresh(t, again.RefreshToken, again.Token))

	slog.New(slog.NewTextHandler(&logs, nil)).Info("responses", "login", tokens, "refresh", next)
	printed := logs.String() + fmt.Sprintf("%v %+v %#v %v %+v %#v %v %+v %#v",
		api, api, api, tokens, tokens, tokens, next, next, next)
	secrets := []string{password, "Wr0ngPassX", tokens.Token, tokens.RefreshToken, next.Token, next.RefreshToken,
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
