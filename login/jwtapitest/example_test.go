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

// Sign up, call a secured endpoint with the access token, log out, and see
// the same token refused with the seed's error JSON.
func Example() {
	api, err := jwtapitest.New()
	if err != nil {
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
		fmt.Println(resp.StatusCode)
		return bytes.TrimSpace(b)
	}

	var tokens jwtapitest.LoginResponse
	body := call(http.MethodPost, jwtapitest.PathSignup, "", `{"email": "luke@rebels.org", "password": "Passw0rdX"}`)
	if err := json.Unmarshal(body, &tokens); err != nil {
		log.Fatal(err)
	}
	var films jwtapitest.FilmList
	if err := json.Unmarshal(call(http.MethodGet, jwtapitest.PathFilms, tokens.Token, ""), &films); err != nil {
		log.Fatal(err)
	}
	fmt.Println(films.Count, films.Results[0].Title)
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathUsers+"1", tokens.Token, ""))
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathLogout, tokens.Token, ""))
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathFilms, tokens.Token, ""))
	fmt.Printf("%s\n", call(http.MethodGet, jwtapitest.PathFilms, "", ""))
	// Output:
	// 200
	// 200
	// 6 A New Hope
	// 401
	// {"message":"authorisation-required","status":"error"}
	// 200
	// {}
	// 401
	// {"message":"token-invalid","status":"error"}
	// 401
	// {"detail":"No authorization token provided","status":401,"title":"Unauthorized","type":"about:blank"}
}
