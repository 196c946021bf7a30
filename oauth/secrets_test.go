package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

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

// The new flows' secrets (a device code, a JWT bearer assertion, a token
// to introspect, a code and its verifier) stay out of errors and logs,
// however the server echoes them.
func TestNewFlowSecretsStayOutOfErrorsAndLogs(t *testing.T) {
	const (
		canaryDevice    = "device-code-CANARY-5"
		canaryAssertion = "assertion-CANARY-6"
		canaryIntro     = "introspected-CANARY-7"
		canaryCode      = "auth-code-CANARY-8"
	)
	secrets := []string{canarySecret, canaryDevice, canaryAssertion, canaryIntro, canaryCode, "eyJhbGciOi"}
	for _, kind := range []string{"json", "detail", "html", "text", "huge"} {
		for _, status := range []int{200, 400, 401, 502} {
			t.Run(fmt.Sprintf("%s %d", kind, status), func(t *testing.T) {
				ts := newTokenServer(t, 200, "")
				ts.setHandler(echoHandler(status, kind))
				logs := &syncbuf.Buffer{}
				settings := oauth.Settings{Now: fixedNow, Logger: debugLogger(logs)}
				client := oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "c", Secret: secret.New(canarySecret)}
				var errs []error

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				d, _ := oauth.NewDevice(oauth.DeviceConfig{DeviceAuthURL: ts.URL, TokenURL: ts.URL, Client: client, Settings: settings,
					Clock: &onePoll{cancel: cancel}})
				_, err := d.Poll(ctx, &oauth.DeviceAuthorization{DeviceCode: secret.New(canaryDevice), Interval: time.Second})
				errs = append(errs, err)
				j, _ := oauth.NewJWTBearer(oauth.JWTBearerConfig{TokenURL: ts.URL, Assertion: secret.New(canaryAssertion), Client: client, Settings: settings})
				_, err = j.Token(context.Background())
				errs = append(errs, err)
				in, _ := oauth.NewIntrospector(oauth.IntrospectionConfig{IntrospectionURL: ts.URL, Client: client, Settings: settings})
				_, err = in.Introspect(context.Background(), canaryIntro, "")
				errs = append(errs, err)
				flow, _ := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: ts.URL, TokenURL: ts.URL, RedirectURL: "https://app/cb", Client: client, Settings: settings})
				_, sess, _ := flow.AuthURL()
				_, err = flow.Exchange(context.Background(), sess, url.Values{"state": {sess.State}, "code": {canaryCode}})
				errs = append(errs, err)
				for _, err := range errs {
					if err != nil {
						checkNoSecret(t, "error", describeError(err), append(secrets, sess.Verifier.Reveal()))
					}
				}
				checkNoSecret(t, "log", logs.String(), append(secrets, sess.Verifier.Reveal()))
			})
		}
	}
}

// onePoll is a clock whose first wait ends at once and whose second one
// cancels the poll instead: one request, whatever the server answers.
type onePoll struct {
	mu     sync.Mutex // guards n
	n      int
	cancel func()
}

func (c *onePoll) Now() time.Time { return time.Now() }

func (c *onePoll) NewTimer(time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.n++; c.n == 1 {
		ch <- time.Now()
	} else {
		c.cancel()
	}
	return ch, func() bool { return false }
}
