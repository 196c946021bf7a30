// Command cookie-login shows package login keeping a cookie session alive
// against the login server of seed 002 (a Flask API that sets session
// cookies on POST /login), with no account and no network. It starts that
// server in this process (login/sessiontest, which answers as the seed's
// server does), over TLS with a self-signed certificate made at start, and
// then:
//
//   - trusts exactly that certificate with bearer.WithTrustedPEM, as the
//     seed's verify='pubkey.pem' does, after showing that a client which
//     trusts another certificate is refused with a message naming the
//     server's;
//   - shows that a wrong password is refused once, with the server's
//     reason (its realm, "Password incorrect"), and is not a permission
//     error;
//   - logs in, calls the protected endpoint, and keeps working when the
//     server restarts and forgets every session: the seed's server then
//     answers the old cookies 403, so the client is configured to log in
//     again on 401 and 403, and sends the request once more.
//
// Its test runs the same steps against the seed's own Flask code too.
//
// Run it with:
//
//	go run ./examples/cookie-login
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/sessiontest"
	"github.com/bearer-go/bearer/secret"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := startServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cookie-login:", err)
		os.Exit(1)
	}
	defer s.close()
	if err := run(ctx, os.Stdout, s); err != nil {
		fmt.Fprintln(os.Stderr, "cookie-login:", err)
		os.Exit(1)
	}
}

// server is a seed-002 server on a loopback TLS listener.
type server struct {
	url     string
	certPEM []byte // the certificate to trust, as pubkey.pem holds it
	restart func() // restarts the server, which forgets every session
	close   func()
}

// startServer starts login/sessiontest's copy of the seed's server, with
// the seed's users.
func startServer() (*server, error) {
	srv, err := sessiontest.New()
	if err != nil {
		return nil, err
	}
	for name, pw := range sessiontest.SeedUsers() {
		if err := srv.AddUser(name, pw); err != nil {
			return nil, err
		}
	}
	ts, certPEM, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		return nil, err
	}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is shown by the client
	return &server{url: ts.URL, certPEM: certPEM, restart: srv.Restart, close: ts.Close}, nil
}

// session is the login of seed 002 (form fields username and password),
// configured as its server needs: it says a session ended with 401 or
// with 403 "<user> denied access to resource".
func session(user, password string) login.SessionConfig {
	return login.SessionConfig{
		Login:           login.Request{Path: "/login"},
		Credentials:     login.Credentials{Username: user, Password: secret.New(password)},
		ReloginStatuses: []int{http.StatusUnauthorized, http.StatusForbidden},
	}
}

// trusting returns the option that trusts the certificate in pem: the
// server's own, self-signed, as the seed's verify='pubkey.pem' does.
func trusting(pem []byte) login.Option {
	return login.WithBearerOptions(bearer.WithTrustedPEM(pem))
}

func run(ctx context.Context, w io.Writer, s *server) error {
	fmt.Fprintf(w, "Seed 002's login server is at %s, with a certificate made just now.\n\n", s.url)
	if err := untrusted(ctx, w, s); err != nil {
		return err
	}
	if err := wrongPassword(ctx, w, s); err != nil {
		return err
	}
	return loggedIn(ctx, w, s)
}

// untrusted shows the refusal of a server whose certificate is not the
// one trusted.
func untrusted(ctx context.Context, w io.Writer, s *server) error {
	otherPEM, _, _, err := sessiontest.SelfSignedCert()
	if err != nil {
		return err
	}
	c, err := login.NewSessionClient(s.url, session("Alice", "alice_pw"), trusting(otherPEM))
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.Login(ctx)
	fmt.Fprintf(w, "A client that trusts another certificate is refused:\n  %v\n\n", err)
	if err == nil {
		return errors.New("the server was trusted without its certificate")
	}
	return nil
}

// wrongPassword shows that refused credentials are sent once, with the
// server's reason.
func wrongPassword(ctx context.Context, w io.Writer, s *server) error {
	c, err := login.NewSessionClient(s.url, session("Alice", "wrong_pw"), trusting(s.certPEM))
	if err != nil {
		return err
	}
	defer c.Close()
	var lastErr error
	for range 3 {
		lastErr = c.Get(ctx, "/get-info", nil)
	}
	var le *login.Error
	if !errors.As(lastErr, &le) || le.Response == nil {
		return fmt.Errorf("a wrong password gave %v; want the server's refusal", lastErr)
	}
	fmt.Fprintf(w, "Alice with a wrong password, three requests:\n  %v\n", lastErr)
	fmt.Fprintf(w, "  the server's reason: %q; credentials refused: %v; a permission error: %v\n\n",
		le.Realm(), errors.Is(lastErr, login.ErrCredentialsRefused), errors.Is(lastErr, bearer.ErrForbidden))
	return nil
}

// loggedIn logs in, calls, and survives the server's restart.
func loggedIn(ctx context.Context, w io.Writer, s *server) error {
	logger := slog.New(slog.NewTextHandler(&indent{w: w}, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	c, err := login.NewSessionClient(s.url, session("Alice", "alice_pw"), trusting(s.certPEM), login.WithLogger(logger))
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintln(w, "Alice, trusting the server's certificate:")
	if err := getInfo(ctx, w, c); err != nil {
		return err
	}
	fmt.Fprintln(w, "The server restarts, and forgets every session:")
	s.restart()
	if err := getInfo(ctx, w, c); err != nil {
		return err
	}
	return getInfo(ctx, w, c)
}

func getInfo(ctx context.Context, w io.Writer, c *login.Client) error {
	var info struct {
		N int `json:"Secret-number"`
	}
	if err := c.Get(ctx, "/get-info", &info); err != nil {
		return err
	}
	fmt.Fprintf(w, "  GET /get-info: Secret-number %d\n", info.N)
	return nil
}

// indent writes log lines indented under the demo's output.
type indent struct{ w io.Writer }

func (i *indent) Write(p []byte) (int, error) {
	if _, err := fmt.Fprintf(i.w, "  log: %s", p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// dropTime leaves the time out of log lines.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}
