package bearer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/bearer-go/bearer"
)

func ExampleClient() {
	// A stand-in API: answers who the token belongs to, and 403 elsewhere.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer example-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/api/v1/users/me" {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"detail":"Missing permission: view platform slocum/398"}`))
			return
		}
		w.Write([]byte(`{"email":"pilot@example.org"}`))
	}))
	defer api.Close()

	c, err := bearer.NewClient(api.URL+"/api/v1", bearer.WithTokenSource(bearer.StaticToken("example-token")))
	if err != nil {
		fmt.Println(err)
		return
	}
	var me struct{ Email string }
	if err := c.Get(context.Background(), "users/me", &me); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed in as", me.Email)

	err = c.Get(context.Background(), "platforms/slocum/398", nil)
	var apiErr *bearer.APIError
	if errors.Is(err, bearer.ErrForbidden) && errors.As(err, &apiErr) {
		fmt.Println("forbidden:", apiErr.Message)
	}
	// Output:
	// signed in as pilot@example.org
	// forbidden: Missing permission: view platform slocum/398
}
