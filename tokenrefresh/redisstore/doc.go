// Package redisstore keeps a [tokenrefresh.Refresher]'s token in Redis, so
// that replicas on several machines share one lineage: exactly one of them
// rotates the token when it is due, and the others adopt the result.
//
// A [Store] holds one lineage under one key, as JSON (the token, when it
// was obtained, the lineage's name, and while a replica rotates it, that
// replica's rotation marker: see [tokenrefresh.Entry]). It is a [tokenrefresh.Locker]: a
// lock key with an expiry and a random owner, taken with SET NX PX and
// released with a compare-and-delete script, so a replica whose lock has
// expired cannot release another's. And it is a [tokenrefresh.Watcher]:
// every Save publishes on a channel, and the other replicas reload and
// adopt the new token at once.
//
// Keys, for a Store made with key K:
//
//	K          the entry, as JSON (it holds the token: protect Redis accordingly)
//	K:lock     the lock, while a replica refreshes
//	K:saved    the channel a Save publishes on (the message holds no secret)
//
// When Redis is down, a Refresher keeps serving its token, reports the
// outage in [tokenrefresh.Status].StoreUnavailable, rotates without the
// lock only when the token is about to die (see [tokenrefresh.Locker] and
// [tokenrefresh.Config.MaxAge]), and writes a token it rotated meanwhile as
// soon as Redis is back. [tokenrefresh.New] fails if Redis cannot be read
// at start, since the stored token may be the only live one. A replica
// whose rotation the server applied but Redis did not take keeps its
// marker in Redis, and the others leave the token to it for a grace
// rather than present its refresh token again (which a server with reuse
// detection answers by revoking the grant): that needs a Redis that keeps
// its data through the outage (persistence, or only unreachable); one
// that restarts empty has lost the marker too.
//
// Limits: the lock is safe only while its holder finishes within the
// lock's expiry (see [WithLockTTL]); a replica paused for longer (a stopped
// VM) may rotate at the same time as another, and one of them then loses
// its token until it adopts the other's. The hosts' clocks must agree to
// well within a rotation interval.
//
// Usage:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	store, err := redisstore.New(rdb, "bearer:c2:token")
//	if err != nil { ... }
//	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
//		Refresh:  rotate,
//		Initial:  secret.New(&oauth2.Token{AccessToken: tok}),
//		Interval: 55 * time.Minute,
//		MaxAge:   time.Hour,
//		Store:    store,
//	})
package redisstore
