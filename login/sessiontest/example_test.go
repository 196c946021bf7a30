package sessiontest_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/sessiontest"
	"github.com/bearer-go/bearer/secret"
)

// The seed's session with net/http, as the seed's Python does it with
// requests.Session: log in over TLS, trusting only the server's own
// certificate, call the protected endpoint with the cookies the jar kept,
// and meet the 403 the seed's server gives those cookies after a restart.
func ExampleNewTLSServer() {
	srv, err := sessiontest.New()
	if err != nil {
		log.Fatal(err)
	}
	for name, pw := range sessiontest.SeedUsers() {
		if err := srv.AddUser(name, pw); err != nil {
			log.Fatal(err)
		}
	}
	ts, certPEM, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM) // the seed's verify='pubkey.pem'
	jar, err := cookiejar.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Jar: jar, Transport: tr}

	show := func(resp *http.Response, err error) {
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(resp.StatusCode, string(bytes.TrimSpace(body)))
		if h := resp.Header.Get("WWW-Authenticate"); h != "" {
			fmt.Println("  WWW-Authenticate:", h)
		}
	}
	show(client.PostForm(ts.URL+"/login", url.Values{"username": {"Alice"}, "password": {"wrong_pw"}}))
	show(client.PostForm(ts.URL+"/login", url.Values{"username": {"Alice"}, "password": {"alice_pw"}}))
	show(client.Get(ts.URL + "/get-info"))
	srv.Restart()
	show(client.Get(ts.URL + "/get-info"))
	// Output:
	// 403 Verification failed
	//   WWW-Authenticate: Basic realm="Password incorrect"
	// 200 Logged in
	// 200 {"Secret-number":42}
	// 403 Alice denied access to resource
}

// A test of a program that keeps a seed-002 session with package login:
// the server restarts in the middle, and the program carries on after one
// new login, since it logs in again on 401 and 403 as the seed's server
// needs. A wrong password is refused once, with the server's realm.
func Example() {
	srv, err := sessiontest.New()
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.AddUser("Alice", "alice_pw"); err != nil {
		log.Fatal(err)
	}
	ts, certPEM, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()

	connect := func(password string) *login.Client {
		c, err := login.NewSessionClient(ts.URL, login.SessionConfig{
			Login:           login.Request{Path: "/login"},
			Credentials:     login.Credentials{Username: "Alice", Password: secret.New(password)},
			ReloginStatuses: []int{http.StatusUnauthorized, http.StatusForbidden},
		}, login.WithBearerOptions(bearer.WithTrustedPEM(certPEM)))
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	var info struct {
		N int `json:"Secret-number"`
	}
	c := connect("alice_pw")
	defer c.Close()
	for i := range 3 {
		if i == 1 {
			srv.Restart()
		}
		if err := c.Get(ctx, "/get-info", &info); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("secret number:", info.N, "logins:", srv.Stats().Logins)

	wrong := connect("wrong_pw")
	defer wrong.Close()
	err = wrong.Get(ctx, "/get-info", &info)
	var le *login.Error
	errors.As(err, &le)
	fmt.Println(errors.Is(err, login.ErrCredentialsRefused), errors.Is(err, bearer.ErrForbidden), le.Realm())
	// Output:
	// secret number: 42 logins: 2
	// true false Password incorrect
}
