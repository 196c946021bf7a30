package jwtapitest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/bearer-go/bearer/login/jwtapitest"
)

// Log in, call a secured endpoint with the access token, meet the seed's
// rules (a second login before a logout is refused; a basic user gets
// authorisation-required from an admins' endpoint), log out, and see the
// same token refused with the seed's error JSON.
func Example() {
	api, err := jwtapitest.New()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := api.AddUser("luke@rebels.org", "Passw0rdX", jwtapitest.RoleBasic); err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(api)
	defer ts.Close()

	call := func(method, path, token, body string) []byte {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(resp.StatusCode, " ")
		return bytes.TrimSpace(b)
	}
	const creds = `{"email": "luke@rebels.org", "password": "Passw0rdX"}`

	var tokens jwtapitest.LoginResponse
	if err := json.Unmarshal(call(http.MethodPost, jwtapitest.PathLogin, "", creds), &tokens); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in as user", tokens.UserID)
	var films jwtapitest.FilmList
	if err := json.Unmarshal(call(http.MethodGet, jwtapitest.PathFilms, tokens.Token.Reveal(), ""), &films); err != nil {
		log.Fatal(err)
	}
	fmt.Println(films.Count, films.Results[0].Title)
	fmt.Printf("%s\n", call(http.MethodPost, jwtapitest.PathLogin, "", creds))
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathUsers+"1", tokens.Token.Reveal(), ""))
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathLogout, tokens.Token.Reveal(), ""))
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathFilms, tokens.Token.Reveal(), ""))
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathFilms, "", ""))
	// Output:
	// 200 logged in as user 1
	// 200 6 A New Hope
	// 400 {"message":"user-already-logged-in","status":"error"}
	// 401 {"message":"authorisation-required","status":"error"}
	// 200 {}
	// 401 {"message":"token-invalid","status":"error"}
	// 401 {"detail":"No authorization token provided","status":401,"title":"Unauthorized","type":"about:blank"}
}
