// Package bearer calls APIs that authenticate with bearer tokens, for
// programs that run for days.
//
// [Client] is the api_request helper of the C2 and Climate Engine notebooks
// done right: it resolves paths against a base URL, sends and decodes JSON,
// turns error responses into [*APIError] (with the server's code and
// message parsed from RFC 6749, RFC 6750, FastAPI and plain-text bodies),
// retries what is safe to retry, and replays a request once when a 401
// shows its token was revoked.
//
// [Transport] is the same authorization as an [http.RoundTripper], for
// code that brings its own *http.Client.
//
// Tokens come from a [TokenSource]. For a token that must be kept alive
// (rotated every 55 minutes, refreshed before it expires, shared by a
// fleet) use a tokenrefresh.Refresher; for a fixed token use
// [StaticToken]; any golang.org/x/oauth2 source works through [FromOAuth2].
//
//	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{Refresh: rotate, Interval: 55 * time.Minute})
//	if err != nil { ... }
//	defer r.Close()
//	c, err := bearer.NewClient("https://api.example.com", bearer.WithTokenSource(r))
//	if err != nil { ... }
//	var drivers []Driver
//	err = c.Get(ctx, "/apf/drivers", &drivers)
//	if errors.Is(err, bearer.ErrForbidden) { ... }
//
// Secrets (tokens, passwords, client secrets) never appear in the errors and
// logs of this package. Tokens are sent over https, or plain http only to
// loopback addresses unless [WithInsecureHTTP] says otherwise, and never on
// a redirect to another host.
package bearer
