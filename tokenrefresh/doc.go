// Package tokenrefresh keeps one bearer token alive for a long-running
// program: it rotates the token in the background, retries failures with
// backoff, never makes a caller wait while the current token is still valid,
// and persists every new token so a restart resumes the lineage.
//
// A [Refresher] is built from a [RefreshFunc], which either rotates the
// current token (C2's Charon, rotating refresh tokens) or fetches a new one
// (OAuth 2 client credentials), and a [Config] that picks a schedule:
//
//   - a fixed interval, for tokens that carry no expiry (C2 rotates every
//     55 minutes), or
//   - before expiry, with an early window that scales with the token's
//     lifetime (a quarter of it, at most [DefaultMaxEarlyWindow]) and jitter,
//     so a 15-minute token is refreshed about 11 minutes in, and a fleet
//     does not stampede the token endpoint.
//
// A token is in one of three states:
//
//   - fresh: [Refresher.Token] returns it from an atomic pointer, with no
//     lock and no allocation;
//   - stale (inside the early window, or the interval has elapsed): Token
//     returns it and nudges the background loop, which refreshes once;
//   - invalid (expired, or rejected by the server through
//     [Refresher.Invalidate]): callers wait for the single refresh in
//     flight, each honouring its own context.
//
// Only the background loop ever calls the RefreshFunc, so a refresh never
// runs twice at once. A failed refresh while the token is still valid keeps
// serving it and retries with capped, jittered exponential backoff that
// honours a server's Retry-After. Errors that retrying cannot fix (see
// [Permanent]) stop the retries and are reported through [Refresher.Status].
//
// A new token is written to the [Store] before it is published. [FileStore]
// keeps it in a 0600 JSON file written atomically; [MemoryStore] keeps it in
// memory.
//
// Usage:
//
//	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
//		Refresh:  rotate, // func(ctx, current *oauth2.Token) (*oauth2.Token, error)
//		Initial:  &oauth2.Token{AccessToken: tok},
//		Interval: 55 * time.Minute,
//		Store:    store,
//	})
//	if err != nil { ... }
//	defer r.Close()
//	tok, err := r.Token(ctx)
package tokenrefresh
