// Package tokenrefresh keeps one bearer token alive for a long-running
// program: it rotates the token in the background, retries failures with
// backoff, never makes a caller wait while the current token is still valid
// (unless asked to, see [Config.Fence]), and persists every new token so a
// restart resumes the lineage.
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
// memory; package redisstore keeps it in Redis.
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
//
// # Fleets
//
// Several processes, or machines, may share one lineage through one store,
// and a rotation kills the token it replaces, so they must not both rotate
// it. When the store is a [Locker] ([FileStore] on Linux, macOS and the
// BSDs; redisstore.Store), a refresh runs as "lock, reload, adopt the
// stored token if another process rotated it and it is not due, else
// rotate, save, unlock": the fleet rotates once per interval. A process
// whose token the server rejects ([Refresher.Invalidate]) also reloads
// under the lock before it rotates anything. When the store is also a
// [Watcher], the others adopt a new token as soon as it is saved.
//
// A rotation kills the old token at once, so a member that uses it before
// it learns of the new one meets a 401 (bearer.Transport replays the
// request once). With [Config.Fence] that does not happen: every member
// plans the rotation for the same moment (the jitter is drawn from the
// token), holds its callers from Fence before it until it has the new
// token (at most Fence after), and a rotation that comes overdue (after a
// failure) is planned again in the store ([Entry.Due]), two fences ahead,
// so that the members hold together for it too.
//
// While the store is unreachable, the Refresher serves its token, retries,
// and reports it in [Status].StoreUnavailable; it rotates without the lock
// only when the token is about to die (see [Locker] and [Config.MaxAge]),
// and saves that token as soon as the store is back. A store that comes
// back without the token, or with an older one, gets the current one
// written back.
package tokenrefresh
