package sessiontest_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"

	"github.com/bearer-go/bearer/login/sessiontest"
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
