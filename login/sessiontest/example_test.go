package sessiontest_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"

	"github.com/bearer-go/bearer/login/sessiontest"
)

// The seed's session: log in over TLS, trusting only the server's freshly
// generated certificate, then call the protected endpoint with the cookies
// the cookie jar kept.
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
	ts, pool, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()

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
		fmt.Printf("%d %s\n", resp.StatusCode, bytes.TrimSpace(body))
	}
	show(client.PostForm(ts.URL+"/login", url.Values{"username": {"Alice"}, "password": {"wrong_pw"}}))
	show(client.PostForm(ts.URL+"/login", url.Values{"username": {"Alice"}, "password": {"alice_pw"}}))
	show(client.Get(ts.URL + "/get-info"))
	srv.ResetSessions()
	show(client.Get(ts.URL + "/get-info"))
	// Output:
	// 403 Verification failed
	// 200 Logged in
	// 200 {"Secret-number":42}
	// 401 Login required
}
