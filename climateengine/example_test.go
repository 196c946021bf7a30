package climateengine_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

// Log in with an email and password, read the account, create an API
// client, and log in with it. The fake server stands in for
// auth.climateengine.com; drop the URL options to use the real service.
func Example() {
	srv, err := climateenginetest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv.AddUser("bennett@example.com", "hunter2")
	auth := httptest.NewServer(srv)
	defer auth.Close()
	ctx := context.Background()

	c, err := climateengine.NewClient(ctx,
		climateengine.Credentials{Email: "bennett@example.com", Password: secret.New("hunter2")},
		climateengine.WithAuthURL(auth.URL))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	me, err := c.Users.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Email, me.IsActive)

	ac, err := c.Clients.Create(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("secret:", ac.ClientSecret)

	app, err := climateengine.NewClient(ctx, ac.Credentials(), climateengine.WithAuthURL(auth.URL))
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	me, err = app.Users.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Email)
	// Output:
	// bennett@example.com true
	// secret: REDACTED
	// bennett@example.com
}
