package oauthtest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// A password login on the auth side, then a call to the API side.
func Example() {
	srv, err := oauthtest.New(oauthtest.Config{Key: testKey()}) // omit Key to generate one
	if err != nil {
		log.Fatal(err)
	}
	srv.AddUser("bennett@example.com", "hunter2")
	auth := httptest.NewServer(srv)
	defer auth.Close()
	api := httptest.NewServer(srv.APIHandler())
	defer api.Close()

	resp, err := http.PostForm(auth.URL+oauthtest.TokenPath, url.Values{
		"grant_type": {"password"}, "username": {"bennett@example.com"}, "password": {"hunter2"},
	})
	if err != nil {
		log.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, tok.TokenType, tok.ExpiresIn > 0)

	req, _ := http.NewRequest(http.MethodGet, api.URL+oauthtest.EchoPath, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	srv.RevokeAll()
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 200 OK bearer true
	// 200 OK
	// 401 Unauthorized Bearer error="invalid_token", error_description="the access token was revoked"
}

// A fault: the token endpoint answers 503 with Retry-After once, then
// recovers.
func ExampleServer_InjectFault() {
	srv, err := oauthtest.New(oauthtest.Config{Key: testKey()})
	if err != nil {
		log.Fatal(err)
	}
	err = srv.InjectFault(oauthtest.Fault{
		Kind: oauthtest.FaultStatus, Path: oauthtest.TokenPath, Status: http.StatusServiceUnavailable, RetryAfter: "2",
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for range 2 {
		resp, err := http.PostForm(ts.URL+oauthtest.TokenPath, url.Values{"grant_type": {"client_credentials"}})
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// 503 2
	// 401
}
