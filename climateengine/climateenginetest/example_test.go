package climateenginetest_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// A program logs in with an API client, as Climate Engine's tutorial
// recommends (client_secret_jwt), against the fake; the test then checks
// how it logged in.
func Example() {
	auth, err := climateenginetest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := auth.AddClient(oauthtest.Client{UserID: auth.AddUser("bennett@example.com", "pw").ID})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(auth)
	defer srv.Close()

	ctx := context.Background()
	c, err := climateengine.NewClient(ctx,
		climateengine.Credentials{ClientID: client.ClientID, ClientSecret: client.ClientSecret},
		climateengine.WithAuthURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	me, err := c.Users.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in as", me.Email)
	fmt.Println("client_secret_jwt logins:", auth.Stats().AuthMethods[oauthtest.ClientSecretJWT])
	// Output:
	// logged in as bennett@example.com
	// client_secret_jwt logins: 1
}
