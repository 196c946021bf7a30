package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// Canary secrets: none of them may appear in an error or a log line.
const (
	canarySecret   = "client-secret-CANARY-1"
	canaryPassword = "password-CANARY-2"
	canaryRefresh  = "refresh-token-CANARY-3"
	canaryRevoke   = "access-token-CANARY-4"
)

// echoHandler answers status with everything the request carried (form
// values, Basic credentials) echoed back in the shape of kind: servers do
// quote what they were sent.
func echoHandler(status int, kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		var vals []string
		for _, vs := range r.PostForm {
			vals = append(vals, vs...)
		}
		if id, secret, ok := r.BasicAuth(); ok {
			vals = append(vals, id, secret)
		}
		echo := strings.Join(vals, " ")
		switch kind {
		case "json":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant " + echo, "error_description": "refused " + echo, "error_uri": "https://x/" + url.PathEscape(echo)})
		case "detail":
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"detail": echo})
		case "html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<html><title>%s</title><body>%s</body></html>", echo, echo)
		case "text":
			w.WriteHeader(status)
			fmt.Fprintf(w, "%s\n%s", echo, echo)
		case "huge":
			w.WriteHeader(status)
			pad := strings.Repeat("p", oauth.MaxErrorBody-10)
			fmt.Fprintf(w, "%s%s", pad, echo) // a secret across the Body cut
		}
	}
}

func TestSecretsStayOutOfErrorsAndLogs(t *testing.T) {
	// eyJhbGciOi starts every JWT this package signs: the assertions.
	secrets := []string{canarySecret, canaryPassword, canaryRefresh, canaryRevoke, "eyJhbGciOi"}
	ctx := context.Background()
	for _, kind := range []string{"json", "detail", "html", "text", "huge"} {
		for _, status := range []int{200, 400, 401, 502} {
			t.Run(fmt.Sprintf("%s %d", kind, status), func(t *testing.T) {
				ts := newTokenServer(t, 200, "")
				ts.setHandler(echoHandler(status, kind))
				logs := &syncbuf.Buffer{}
				settings := oauth.Settings{Now: fixedNow, Logger: debugLogger(logs)}
				var errs []error
				for _, m := range []oauth.AuthMethod{oauth.ClientSecretBasic, oauth.ClientSecretPost, oauth.ClientSecretJWT} {
					p, err := oauth.NewPassword(oauth.PasswordConfig{TokenURL: ts.URL, Username: "u", Password: secret.New(canaryPassword),
						Client: oauth.ClientAuth{Method: m, ID: "c", Secret: secret.New(canarySecret)}, Settings: settings})
					if err != nil {
						t.Fatal(err)
					}
					_, err = p.Refresh(ctx, &oauth2.Token{AccessToken: "a", RefreshToken: canaryRefresh})
					errs = append(errs, err)
				}
				rev, _ := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: ts.URL, Client: oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "c", Secret: secret.New(canarySecret)}, Settings: settings})
				errs = append(errs, rev.Revoke(ctx, canaryRevoke, oauth.HintAccessToken))
				for _, err := range errs {
					if err == nil {
						if status != 200 || kind != "json" && kind != "detail" {
							continue // a 200 revocation succeeds whatever its body
						}
					}
					checkNoSecret(t, "error", describeError(err), secrets)
				}
				checkNoSecret(t, "log", logs.String(), secrets)
			})
		}
	}
}

// describeError renders err every way a program might print it.
func describeError(err error) string {
	s := fmt.Sprintf("%v|%+v|%#v|%s", err, err, err, err)
	var oe *oauth.Error
	if errors.As(err, &oe) {
		s += "|" + oe.Body + "|" + oe.Description + "|" + oe.Code + "|" + oe.URI
	}
	return s
}

func checkNoSecret(t *testing.T, what, s string, secrets []string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) || strings.Contains(s, url.QueryEscape(sec)) || strings.Contains(s, sec[:len(sec)-2]) {
			t.Errorf("%s holds the secret %s: %s", what, sec, s)
		}
	}
}
