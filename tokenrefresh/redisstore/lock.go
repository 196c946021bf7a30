package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Polling bounds of [Store.Lock]. A refresh holds the lock for about one
// round trip to the token server, so a waiter that asks every 100 ms at
// most learns of the release within a tenth of a second, and twenty
// waiting replicas cost Redis a few hundred SETs a second for the second
// or two that a rotation lasts.
const (
	lockPollMin = 5 * time.Millisecond
	lockPollMax = 100 * time.Millisecond
)

// lockTTLMargin is added to the time left before Lock's context deadline
// to set the lock's expiry. Everything the lock guards is bounded by that
// deadline; the margin covers the round trip of the SET itself and the
// difference between the rates of this host's clock and Redis's, both far
// below a second. It is kept small so that a test or a program with short
// attempts gets a short lock.
const lockTTLMargin = time.Second

// ErrLockLost is returned by the release function of [Store.Lock] when the
// lock had expired, and may have been taken by another replica, before it
// was released: the two may have rotated the token at once. Raise the
// lock's TTL (see [WithLockTTL]) above the Refresher's AttemptTimeout.
var ErrLockLost = errors.New("redisstore: the lock expired before it was released; another replica may have refreshed at the same time: make the lock TTL longer than the refresh attempt timeout")

// unlockScript deletes the lock only if it still holds our owner token,
// so a holder whose lock expired cannot release the next holder's.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// Lock takes the lineage's lock: SET <key>:lock <random owner> NX PX ttl,
// where ttl is the store's lock TTL, stretched to ctx's deadline plus a
// margin if that is later, so the lock outlives the attempt it guards. It
// polls, every 5 ms at first and at most every 100 ms, until it holds the
// lock or ctx is done; it returns at once if Redis cannot be reached. The
// returned function releases the lock only if this call still owns it,
// returning [ErrLockLost] otherwise; calling it again does nothing.
func (s *Store) Lock(ctx context.Context) (unlock func() error, err error) {
	owner, err := newOwner()
	if err != nil {
		return nil, err
	}
	ttl := s.lockTTL
	if d, ok := ctx.Deadline(); ok {
		ttl = max(ttl, time.Until(d)+lockTTLMargin)
	}
	delay := lockPollMin
	for {
		ok, err := s.setNX(ctx, owner, ttl)
		switch {
		case err == nil && ok:
			return s.releaser(owner), nil
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("redisstore: take the lock %s: Redis did not answer before the wait ended: %w: check that Redis is reachable", s.lockKey, ctx.Err())
		case ctx.Err() != nil:
			return nil, fmt.Errorf("redisstore: wait for the lock %s, held by another replica: %w", s.lockKey, ctx.Err())
		case err != nil:
			return nil, fmt.Errorf("redisstore: take the lock %s: %w: check that Redis is reachable", s.lockKey, err)
		}
		t := time.NewTimer(delay/2 + mrand.N(delay/2+1)) // equal jitter spreads the waiters
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("redisstore: wait for the lock %s, held by another replica: %w", s.lockKey, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, lockPollMax)
	}
}

// setNX sends one SET NX of the lock, bounded by commandTimeout.
func (s *Store) setNX(ctx context.Context, owner string, ttl time.Duration) (bool, error) {
	ctx, cancel := command(ctx)
	defer cancel()
	return s.client.SetNX(ctx, s.lockKey, owner, ttl).Result()
}

// releaser returns the function that releases the lock owner holds, once.
func (s *Store) releaser(owner string) func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() { err = s.unlock(owner) })
		return err
	}
}

// unlock deletes the lock if owner still holds it.
func (s *Store) unlock(owner string) error {
	// No context of its own: if Redis does not answer, the lock expires
	// by itself.
	ctx, cancel := command(context.Background())
	defer cancel()
	n, err := unlockScript.Run(ctx, s.client, []string{s.lockKey}, owner).Int()
	if err != nil {
		return fmt.Errorf("redisstore: release the lock %s: %w (it expires by itself)", s.lockKey, err)
	}
	if n == 0 {
		return ErrLockLost
	}
	return nil
}

// newOwner returns a random token that identifies one holding of the
// lock.
func newOwner() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("redisstore: make a lock owner token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
