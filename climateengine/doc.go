// Package climateengine is a client of Climate Engine
// (https://climateengine.com): its authorization server
// (https://auth.climateengine.com) and its data API
// (https://api.climateengine.com).
//
// A [Client] logs in with either kind of [Credentials]:
//
//   - an email and password, through the OAuth 2 password grant;
//   - an API client id and secret, through the client_credentials grant,
//     authenticated with client_secret_jwt ([DefaultMethod], an HS256
//     assertion signed with the secret, as the service's tutorial does),
//     client_secret_basic or client_secret_post.
//
// Access tokens last about 15 minutes. The client logs in on first use,
// then keeps a token alive in the background with a tokenrefresh.Refresher
// (a new login about 11 minutes in, retried with backoff if the service is
// down), so requests never wait for a login while the token is valid. If
// the service answers 401, the client logs in again and replays the
// request once. A wrong password or secret is not retried: the error wraps
// an *oauth.Error that matches oauth.ErrInvalidGrant or
// oauth.ErrInvalidClient.
//
// [UsersService.Me] returns the account; [ClientsService.Create] creates
// an API client, whose secret is a [secret.String] that prints as REDACTED. Data
// API calls go through [Client.NewRequest] and [Client.Do].
//
// Usage:
//
//	c, err := climateengine.NewClient(ctx, climateengine.Credentials{
//		ClientID:     os.Getenv("CLIMATEENGINE_CLIENT_ID"),
//		ClientSecret: secret.New(os.Getenv("CLIMATEENGINE_CLIENT_SECRET")),
//	})
//	if err != nil { ... }
//	defer c.Close()
//	me, err := c.Users.Me(ctx)
//	if err != nil { ... }
//	req, err := c.NewRequest(ctx, "GET", "/home/validate_key", nil)
//	if err != nil { ... }
//	var out map[string]any
//	_, err = c.Do(req, &out)
package climateengine
