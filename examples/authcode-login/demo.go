package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// laterRun is how much later the demo's second run happens: past the
// 15-minute token's refresh point, so it is refreshed.
const laterRun = 20 * time.Minute

// runDemo runs the program twice against an in-process authorization
// server (oauthtest, which has an authorize endpoint with PKCE and rotating
// refresh tokens), with an HTTP client in place of the browser.
func runDemo(ctx context.Context, w io.Writer) error {
	clock := fakeclock.New(time.Now())
	srv, err := oauthtest.New(oauthtest.Config{Now: clock.Now})
	if err != nil {
		return err
	}
	u := srv.AddUser("demo@example.com", "demo-password")
	client, err := srv.AddClient(oauthtest.Client{UserID: u.ID})
	if err != nil {
		return err
	}
	as := httptest.NewServer(srv)
	defer as.Close()
	dir, err := os.MkdirTemp("", "authcode-login-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	s := setup{
		tokenFile: filepath.Join(dir, "token.json"),
		clock:     clock,
		flow: oauth.AuthCodeConfig{
			AuthURL:     as.URL + oauthtest.AuthorizePath,
			TokenURL:    as.URL + oauthtest.TokenPath,
			Client:      oauth.ClientAuth{Method: oauth.AuthNone, ID: client.ClientID},
			OpenBrowser: demoBrowser(w),
			Timeout:     time.Minute,
		},
	}
	fmt.Fprintln(w, "demo: authorization server at", as.URL)
	fmt.Fprintln(w, "== first run")
	if _, err := session(ctx, s, w); err != nil {
		return err
	}
	fi, err := os.Stat(s.tokenFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "token file mode: %v\n", fi.Mode().Perm())
	clock.Advance(laterRun)
	fmt.Fprintf(w, "== second run, %v later\n", laterRun)
	_, err = session(ctx, s, w)
	return err
}

// demoBrowser stands in for the user's browser: it follows the
// authorization server's redirect to the loopback listener and shows the
// page it lands on.
func demoBrowser(w io.Writer) func(ctx context.Context, authURL string) error {
	return func(ctx context.Context, authURL string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		fmt.Fprintf(w, "browser: %s -> %s\n", resp.Status, resp.Request.URL.Host)
		return nil
	}
}
