package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/redis/go-redis/v9"
)

// DefaultLockTTL is how long the lock lives if its holder never releases
// it. It is twice tokenrefresh.DefaultAttemptTimeout, since the lock must
// outlive the attempt it guards (lock, reload, rotate, save), or another
// replica could rotate the same token; and it is short enough that when a
// holder dies the others take over well within C2's five-minute early
// window. Lock stretches it further to cover the deadline of its context.
const DefaultLockTTL = time.Minute

// commandTimeout bounds each command the store sends, within its
// caller's context. go-redis ends a command at its context's deadline
// (with ContextTimeoutEnabled, which New requires) but not when the
// context is cancelled: a Refresher's Close cancels a wait for the lock
// whose deadline may be AttemptTimeout (30 s) away, and a Redis that
// takes connections and never answers would hold Close until then. Redis
// answers these commands in under a millisecond nearby and in tens of
// milliseconds across regions; one without an answer in two seconds is
// on a hung server, and Close returns within that.
const commandTimeout = 2 * time.Second

// command returns ctx bounded by commandTimeout, for one command.
func command(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, commandTimeout)
}

// maxEntrySize bounds what Load accepts: an entry is a few hundred bytes;
// anything near this size is not one of ours.
const maxEntrySize = 1 << 20

// errTooLarge stands for a value larger than maxEntrySize.
var errTooLarge = errors.New("redisstore: value too large for a token record")

// Store keeps one lineage's entry in Redis and implements
// [tokenrefresh.Store], [tokenrefresh.Locker] and [tokenrefresh.Watcher].
// Create it with [New]; it is safe for concurrent use. Give each lineage
// its own key, and every replica of a lineage the same key.
type Store struct {
	client  redis.UniversalClient
	key     string
	lockKey string
	channel string
	lockTTL time.Duration
}

// An Option configures a [Store].
type Option func(*Store) error

// WithLockTTL sets how long the lock lives if its holder never releases
// it. It must be longer than the Refresher's Config.AttemptTimeout; Lock
// also stretches it to cover its context's deadline. Zero or less is an
// error. The default is [DefaultLockTTL].
func WithLockTTL(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("redisstore: lock TTL is %v: it must be positive", d)
		}
		s.lockTTL = d
		return nil
	}
}

// New returns a store for the lineage kept under key in the Redis that
// client reaches (a *redis.Client, *redis.ClusterClient or any
// UniversalClient). It does not contact Redis. The client stays the
// caller's to close.
//
// The client must honour its contexts' deadlines: a *redis.Client,
// *redis.ClusterClient or *redis.Ring needs ContextTimeoutEnabled set in
// its options, and no ReadTimeout or WriteTimeout of -2 (no deadline at
// all), or New refuses it. Without them, go-redis bounds a command only by
// its own timeouts (5 s by default, none at all with -1), so a Redis that
// takes connections and never answers would hold tokenrefresh.New, and
// the Refresher's Close, past their deadlines.
func New(client redis.UniversalClient, key string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: New needs a Redis client")
	}
	if ignoresDeadlines(client) {
		return nil, errors.New("redisstore: the Redis client ignores context deadlines, so a Redis that hangs would hold its callers past theirs: set ContextTimeoutEnabled: true in its options, and no ReadTimeout or WriteTimeout of -2")
	}
	if strings.TrimSpace(key) == "" {
		return nil, errors.New(`redisstore: New needs a key name, such as "bearer:c2:token"`)
	}
	s := &Store{client: client, key: key, lockKey: key + ":lock", channel: key + ":saved", lockTTL: DefaultLockTTL}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ignoresDeadlines reports whether client is one of go-redis's clients
// that ends a command only by its own timeouts, never by the context's
// deadline: ContextTimeoutEnabled is unset, or a timeout is -2, which
// skips socket deadlines (a *redis.Client's options hold it as -1 once
// the client is made).
func ignoresDeadlines(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		o := c.Options()
		return !o.ContextTimeoutEnabled || o.ReadTimeout < 0 || o.WriteTimeout < 0
	case *redis.ClusterClient:
		o := c.Options()
		return !o.ContextTimeoutEnabled || o.ReadTimeout < -1 || o.WriteTimeout < -1
	case *redis.Ring:
		o := c.Options()
		return !o.ContextTimeoutEnabled || o.ReadTimeout < -1 || o.WriteTimeout < -1
	}
	return false
}

// Key returns the key that holds the entry; the lock is Key()+":lock" and
// the channel Key()+":saved".
func (s *Store) Key() string { return s.key }

// Load returns the stored entry, or tokenrefresh.ErrNoToken if the key
// does not exist, or a [*tokenrefresh.FormatError] (wrapped) if a newer
// version of bearer wrote it.
func (s *Store) Load(ctx context.Context) (*tokenrefresh.Entry, error) {
	ctx, cancel := command(ctx)
	defer cancel()
	data, err := s.client.Get(ctx, s.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, tokenrefresh.ErrNoToken
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: load %s: %w: check that Redis is reachable", s.key, err)
	}
	var e tokenrefresh.Entry
	err = errTooLarge
	if len(data) <= maxEntrySize {
		err = e.UnmarshalBinary(data)
	}
	if fe := (*tokenrefresh.FormatError)(nil); errors.As(err, &fe) {
		return nil, fmt.Errorf("redisstore: %s: %w", s.key, fe)
	}
	if err != nil {
		// The JSON error could quote the value, a token: do not wrap it.
		return nil, fmt.Errorf("redisstore: %s does not hold a token record: delete the key to start a new lineage", s.key)
	}
	return &e, nil
}

// Save replaces the stored entry and, in the same transaction, publishes
// on the channel so the other replicas reload it. The key has no expiry.
func (s *Store) Save(ctx context.Context, e *tokenrefresh.Entry) error {
	if e == nil || e.Token.IsZero() || e.Token.Reveal().AccessToken == "" {
		return errors.New("redisstore: cannot save an empty entry")
	}
	data, err := e.MarshalBinary()
	if err != nil {
		return errors.New("redisstore: the token's expiry or obtained time cannot be encoded")
	}
	ctx, cancel := command(ctx)
	defer cancel()
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.key, data, 0)
		p.Publish(ctx, s.channel, "saved")
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: save %s: %w: check that Redis is reachable and writable", s.key, err)
	}
	return nil
}
