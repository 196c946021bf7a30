// Package tokenrefresh keeps one bearer token alive for a long-running
// program: it rotates the token in the background, retries failures with
// backoff, never makes a caller wait while the current token is still valid
// (unless asked to, see [Config.Fence]), never loses a token the server may
// have issued, and persists every new token so a restart resumes the
// lineage.
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
// # States
//
// One function names the state of the published token, and
// [Refresher.Token] is a switch over it:
//
//   - fresh (before its refresh time): returned from an atomic pointer,
//     with no lock and no allocation;
//   - stale (due, still valid): returned, and the background loop is
//     nudged to refresh it, once;
//   - fenced (a planned rotation is about to kill it, see [Config.Fence]):
//     callers wait for the new token, at most until the fence ends;
//   - invalid (none yet, expired, or rejected by the server through
//     [Refresher.Invalidate]): callers wait for a new token, each within
//     its own context, across failed attempts, unless the Refresher is
//     closed or has failed for good.
//
// The published state changes only by compare-and-swap from the state its
// writer read: a writer that loses the race (to an Invalidate, or to a
// token another process saved) decides again, and nothing is undone.
//
// Times are compared by both readings a time may carry: a moment is
// reached when the wall clock (by which servers judge expiry) or the
// monotonic clock (which a step of the wall clock does not move) says so.
// The monotonic clock and timers stop while a machine is suspended or a
// VM paused; one watcher per process notices the wall clock jump ahead
// within a second, and the Refreshers then stop serving fresh tokens
// without a look at the clock, and plan again.
//
// # Failures
//
// Only the background loop calls the RefreshFunc, so a refresh never runs
// twice at once. A token is checked when it is received: one whose value
// or type cannot go into an Authorization header, or whose type is not
// Bearer, is a failed attempt that says why. A failed refresh while the
// token is still valid keeps serving it and retries on [Config.Backoff]
// (capped, jittered exponential backoff that honours a server's
// Retry-After, by default). Once the token is dead and callers wait, the
// cadence tightens to a second, or to the server's Retry-After: the first
// caller gets a token about a second after the token server is back.
// Errors that retrying cannot fix (see [Permanent]) stop the retries,
// close [Refresher.Lost], and say what to do ([Refresher.Err]).
//
// A token the server rejects is replaced at a bounded rate: at most once a
// second, less often while the replacements are rejected in turn. A
// rejection within the limit leaves the token as it is, so the request
// fails at once with the server's answer instead of costing a token call.
//
// # Nothing the server may have applied is lost
//
// A rotation kills the token it replaces. So its result is written to the
// [Store] before it is published; [Refresher.Close] lets a call already in
// flight finish (for at most [Config.CloseGrace]) and saves its answer on a
// context Close does not cancel. An answer whose access token cannot be
// used but which carries a new refresh token is kept, and the next attempt
// uses it. A failure after which the server may have applied the request
// (a timeout or a cut connection after sending, a 5xx, an unreadable
// answer) is marked [InDoubt] by the RefreshFunc; the Refresher remembers
// it, in the store too, and if the server then rejects the old token it
// reports [ErrLineageLost] rather than a plain rejection.
//
// [FileStore] keeps the token in a 0600 JSON file written atomically;
// [MemoryStore] keeps it in memory; package redisstore keeps it in Redis.
//
// # Events
//
// [Refresher.Status] answers "is it alive". An [Observer] in [Config]
// receives every event (an attempt refreshed or failed, with its start and
// duration; the token lost; the store unavailable or back; callers held by
// the fence; a token adopted from the fleet; a rejection, replaced or
// limited), for logs, metrics, traces and tests. No event carries a
// secret.
//
// Usage:
//
//	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
//		Refresh:  rotate, // func(ctx, current *oauth2.Token) (*oauth2.Token, error)
//		Initial:  secret.New(&oauth2.Token{AccessToken: tok}),
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
// it. When the store is a [Locker] ([FileStore] on Linux, macOS, the
// BSDs and Windows; redisstore.Store), a refresh runs as "lock, reload, adopt the
// stored token if another process rotated it and it is not due, else
// rotate, save, unlock": the fleet rotates once per interval. A process
// whose token the server rejects ([Refresher.Invalidate]) also reloads
// under the lock before it rotates anything (the rejection limit then
// applies to the rotation, not to the reload). When the store is also a
// [Watcher], the others adopt a new token as soon as it is saved. All of
// this sits behind one seam, so a Refresher with a store of its own runs
// none of it.
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
//
// A rotation the server applied but the store did not take (it went away
// between the two) leaves the new token with its process alone. So that
// no other process presents the refresh token it replaced, which a server
// with reuse detection answers by revoking the whole grant (RFC 9700
// 4.14.2), a process under the lock saves the token again with a
// rotation-in-flight marker ([Entry.Rotating]) before it calls the
// server; the save of the result clears it, and so does a call that
// failed. Another process that finds the marker on the token it would
// rotate serves that token and waits for the holder's save, for three
// AttemptTimeouts (90 s with the default) from when it first found the
// marker; then it presumes the holder dead and rotates. A holder that ran
// on the same host (and pid namespace) and whose process has exited is
// known dead, and not waited for: a crash and restart costs no grace. A
// holder retries
// its failed save at least once per AttemptTimeout, and at once when its
// Watcher sees the store back.
// This needs a store that keeps its data across the outage (a file, a
// Redis that persists or was only unreachable): one that comes back empty
// has lost the marker too.
package tokenrefresh
