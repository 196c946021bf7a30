// Command cookie-login shows package login keeping a cookie session alive
// against the login server of seed 002 (a Flask API that sets session
// cookies on POST /login), with no account and no network. It starts that
// server in this process, over TLS with a self-signed certificate made at
// start, and then:
//
//   - trusts exactly that certificate with bearer.WithTrustedPEM, as the
//     seed's verify='pubkey.pem' does, after showing that a client which
//     trusts another certificate is refused with a message naming the
//     server's;
//   - shows that a wrong password is refused with a clear error, after a
//     single login request;
//   - logs in, calls the protected endpoints, and keeps working when the
//     server forgets every session: the client logs in again on the 401
//     and sends the request once more.
//
// Run it with:
//
//	go run ./examples/cookie-login
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
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
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cookie-login:", err)
		os.Exit(1)
	}
}

// server is the seed-002 server on a loopback TLS listener.
type server struct {
	srv     *sessiontest.Server
	ts      *httptest.Server
	certPEM []byte // the certificate to trust, as pubkey.pem holds it
	logins  func() int
}

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
	certPEM, _, cert, err := sessiontest.SelfSignedCert()
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is shown by the client
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	return &server{srv: srv, ts: ts, certPEM: certPEM, logins: func() int {
		st := srv.Stats()
		return st.Logins + st.LoginsBadPassword + st.LoginsUnknownUser
	}}, nil
}

// session is the login of seed 002: form fields username and password.
func session(user, password string) login.SessionConfig {
	return login.SessionConfig{
		Login:       login.Request{Path: "/login"},
		Credentials: login.Credentials{Username: user, Password: secret.New(password)},
	}
}

// trusting returns the option that trusts the certificate in pem: the
// server's own, self-signed, as the seed's verify='pubkey.pem' does.
func trusting(pem []byte) login.Option {
	return login.WithBearerOptions(bearer.WithTrustedPEM(pem))
}

func run(ctx context.Context, w io.Writer) error {
	s, err := startServer()
	if err != nil {
		return err
	}
	defer s.ts.Close()
	fmt.Fprintf(w, "Seed 002's login server is at %s, with a certificate made just now.\n\n", s.ts.URL)

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
	c, err := login.NewSessionClient(s.ts.URL, session("Alice", "alice_pw"), trusting(otherPEM))
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.Login(ctx)
	fmt.Fprintf(w, "A client that trusts another certificate is refused:\n  %v\n\n", err)
	if err == nil {
		return fmt.Errorf("the server was trusted without its certificate")
	}
	return nil
}

// wrongPassword shows that refused credentials are sent once.
func wrongPassword(ctx context.Context, w io.Writer, s *server) error {
	before := s.logins()
	c, err := login.NewSessionClient(s.ts.URL, session("Alice", "wrong_pw"), trusting(s.certPEM))
	if err != nil {
		return err
	}
	defer c.Close()
	var lastErr error
	for range 3 {
		lastErr = c.Get(ctx, "/get-info", nil)
	}
	fmt.Fprintf(w, "Alice with a wrong password, three requests:\n  %v\n  login requests sent: %d\n\n", lastErr, s.logins()-before)
	return nil
}

// loggedIn logs in, calls, and survives the server losing its sessions.
func loggedIn(ctx context.Context, w io.Writer, s *server) error {
	logger := slog.New(slog.NewTextHandler(&indent{w: w}, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	c, err := login.NewSessionClient(s.ts.URL, session("Alice", "alice_pw"), trusting(s.certPEM), login.WithLogger(logger))
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintln(w, "Alice, trusting the server's certificate:")
	var who sessiontest.WhoAmI
	if err := c.Get(ctx, "/whoami", &who); err != nil {
		return err
	}
	fmt.Fprintf(w, "  GET /whoami: %s, logged in at %s\n", who.Username, who.LoginTimestamp)
	if err := getInfo(ctx, w, c); err != nil {
		return err
	}
	fmt.Fprintln(w, "The server forgets every session (ResetSessions):")
	s.srv.ResetSessions()
	if err := getInfo(ctx, w, c); err != nil {
		return err
	}
	st := s.srv.Stats()
	fmt.Fprintf(w, "\nDone: %d logins, %d request rejected for an ended session, %d served.\n", st.Logins, st.Unauthenticated, st.Served)
	return nil
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
