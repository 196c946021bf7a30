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

// A password login on the auth side, then a call to the API side, which
// refuses the token once the server revokes every token.
func Example() {
	srv, err := oauthtest.New(oauthtest.Config{})
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

// A fault: the token endpoint answers 503 with Retry-After twice, then
// recovers.
func ExampleServer_InjectFault() {
	srv, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv.AddUser("bennett@example.com", "hunter2")
	err = srv.InjectFault(oauthtest.Fault{
		Kind: oauthtest.FaultStatus, Path: oauthtest.TokenPath, Count: 2,
		Status: http.StatusServiceUnavailable, RetryAfter: "2",
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for range 3 {
		resp, err := http.PostForm(ts.URL+oauthtest.TokenPath, url.Values{
			"grant_type": {"password"}, "username": {"bennett@example.com"}, "password": {"hunter2"},
		})
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After: %q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fmt.Println("faults:", srv.Stats().Faults)
	// Output:
	// 503 Retry-After: "2"
	// 503 Retry-After: "2"
	// 200 Retry-After: ""
	// faults: 2
}

// A refresh token rotation whose answer is lost: the server rotated the
// refresh token, the client saw a transport error, and the refresh token
// it holds is already spent. Successor finds the one it never received.
func ExampleServer_Successor() {
	srv, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := srv.AddClient(oauthtest.Client{UserID: srv.AddUser("bennett@example.com", "pw").ID})
	if err != nil {
		log.Fatal(err)
	}
	rt, err := srv.IssueRefreshToken(client.ClientID, "offline_access")
	if err != nil {
		log.Fatal(err)
	}
	err = srv.InjectFault(oauthtest.Fault{Kind: oauthtest.FaultDropAfterApply, Path: oauthtest.TokenPath, Count: 1})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	_, err = http.PostForm(ts.URL+oauthtest.TokenPath, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {client.ClientID},
		"client_secret": {client.ClientSecret.Reveal()},
	})
	next, rotated := srv.Successor(rt)
	fmt.Println("transport error:", err != nil)
	fmt.Println("rotated on the server:", rotated, srv.Stats().Rotations)
	fmt.Println("old usable:", srv.Active(rt), "new usable:", srv.Active(next))
	// Output:
	// transport error: true
	// rotated on the server: true 1
	// old usable: false new usable: true
}
