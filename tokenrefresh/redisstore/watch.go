package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// watchPingInterval is how long Watch waits for a message before it pings
// Redis: a connection that died without a reset (a host that vanished) is
// noticed within two of these, while a healthy one costs a PING every 15 s.
const watchPingInterval = 15 * time.Second

// Backoff bounds between two subscriptions after Redis was lost: a replica
// notices within 5 s that Redis is back, and a Redis that is down gets at
// most one connection attempt per replica every 5 s.
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 5 * time.Second
)

// Bounds of awaitCommands. After an outage, go-redis's connection pool
// may keep refusing commands for a while after Redis is back (after many
// failed dials it probes once a second), although the subscription, on a
// connection of its own, already works: Watch waits for commands to work
// before it reports the store back, asking at most once a second, for at
// most 10 s (two retry intervals) before it starts over.
const (
	awaitCommandsMin = 50 * time.Millisecond
	awaitCommandsMax = time.Second
	awaitCommandsFor = 10 * time.Second
)

// awaitCommands waits until Redis answers a PING through the store's
// client, which Load, Save and Lock use.
func (s *Store) awaitCommands(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, awaitCommandsFor)
	defer cancel()
	delay := awaitCommandsMin
	for {
		err := s.ping(ctx)
		if err == nil {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("redisstore: Redis takes subscriptions but no commands: %w: check that Redis is reachable", err)
		case <-t.C:
		}
		delay = min(2*delay, awaitCommandsMax)
	}
}

// ping sends one PING through the store's client, bounded by
// commandTimeout.
func (s *Store) ping(ctx context.Context) error {
	ctx, cancel := command(ctx)
	defer cancel()
	return s.client.Ping(ctx).Err()
}

// subscribe subscribes ps to the store's channel, bounded by
// commandTimeout: it may dial, and Close of ps, which ends a Watch, waits
// for it.
func (s *Store) subscribe(ctx context.Context, ps *redis.PubSub) error {
	ctx, cancel := command(ctx)
	defer cancel()
	return ps.Subscribe(ctx, s.channel)
}

// pingSubscription pings Redis on ps's connection, bounded by
// commandTimeout.
func (s *Store) pingSubscription(ctx context.Context, ps *redis.PubSub) error {
	ctx, cancel := command(ctx)
	defer cancel()
	return ps.Ping(ctx)
}

// Watch subscribes to the channel that [Store.Save] publishes on and
// reports, until ctx is done, every save through notify(nil), every
// (re)subscription too once Redis answers commands again, and every lost
// connection through notify(err). It resubscribes by itself, with a
// backoff of at most 5 s. It implements
// [tokenrefresh.Watcher]; a Refresher calls it, and ends it on Close.
func (s *Store) Watch(ctx context.Context, notify func(err error)) error {
	delay := watchRetryMin
	for {
		err := s.watchOnce(ctx, notify, func() { delay = watchRetryMin })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		notify(err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, watchRetryMax)
	}
}

// watchOnce subscribes and reports messages until the connection fails or
// ctx is done; it calls subscribed once Redis confirms the subscription.
func (s *Store) watchOnce(ctx context.Context, notify func(error), subscribed func()) error {
	ps := s.client.Subscribe(ctx)
	defer ps.Close()
	// A receive does not end when ctx does; closing the connection ends it.
	// Close waits for a subscribe or ping in progress, each bounded by
	// commandTimeout.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	if err := s.subscribe(ctx, ps); err != nil {
		return fmt.Errorf("redisstore: subscribe to %s: %w: changes made by other replicas are adopted at the next refresh until Redis is back", s.channel, err)
	}
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, watchPingInterval)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if !pinged && errors.As(err, &ne) && ne.Timeout() {
				// Quiet for a while: make sure the connection still works.
				pinged = true
				if err = s.pingSubscription(ctx, ps); err == nil {
					continue
				}
			}
			return fmt.Errorf("redisstore: watch %s: %w: changes made by other replicas are adopted at the next refresh until Redis is back", s.channel, err)
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			if err := s.awaitCommands(ctx); err != nil {
				return err
			}
			subscribed()
			notify(nil) // saves may have been missed while not subscribed
		case *redis.Message:
			notify(nil)
		}
	}
}
