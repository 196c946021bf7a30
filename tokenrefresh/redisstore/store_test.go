package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

func TestNewRejectsBadArguments(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer c.Close()
	deaf := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer deaf.Close()
	// A timeout of -2 sets no socket deadline, the context's neither.
	noDeadline := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, ReadTimeout: -2})
	defer noDeadline.Close()
	clusterNoDeadline := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, WriteTimeout: -2})
	defer clusterNoDeadline.Close()
	deafRing := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer deafRing.Close()
	tests := []struct {
		name   string
		client redis.UniversalClient
		key    string
		opts   []redisstore.Option
		want   string
	}{
		{"no client", nil, "k", nil, "client"},
		{"no key", c, " ", nil, "key name"},
		{"zero TTL", c, "k", []redisstore.Option{redisstore.WithLockTTL(0)}, "TTL"},
		{"client that ignores deadlines", deaf, "k", nil, "ContextTimeoutEnabled"},
		{"client without socket deadlines", noDeadline, "k", nil, "-2"},
		{"cluster client without socket deadlines", clusterNoDeadline, "k", nil, "-2"},
		{"ring that ignores deadlines", deafRing, "k", nil, "ContextTimeoutEnabled"},
	}
	for _, tt := range tests {
		if _, err := redisstore.New(tt.client, tt.key, tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%s) = %v; want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	// -1 is no timeout of go-redis's own; the context's deadline still
	// applies, so the store takes it (a client's case: hungClients).
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, ReadTimeout: -1})
	defer cluster.Close()
	if _, err := redisstore.New(cluster, "k"); err != nil {
		t.Errorf("New(cluster client with ReadTimeout -1) = %v; want a store", err)
	}
}

func TestSaveLoadRoundTripAndPublish(t *testing.T) {
	addr := redistest.Shared(t)
	c := newClient(t, addr)
	key := redistest.Key(t, addr)
	s := mustStore(t, c, key)
	ctx := context.Background()
	if _, err := s.Load(ctx); !errors.Is(err, tokenrefresh.ErrNoToken) {
		t.Fatalf("Load() of a missing key = %v; want ErrNoToken", err)
	}
	sub := c.Subscribe(ctx, key+":saved")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	want := &tokenrefresh.Entry{
		Token:    secret.New(&oauth2.Token{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: epoch.Add(time.Hour)}),
		Obtained: epoch,
		Lineage:  "L",
	}
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	if msg, err := sub.ReceiveMessage(rctx); err != nil || strings.Contains(msg.Payload, "a") && msg.Payload != "saved" {
		t.Errorf("after Save the channel got %v, %v; want a message without the token", msg, err)
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token.Reveal().AccessToken != "a" || got.Token.Reveal().RefreshToken != "r" || got.Token.Reveal().TokenType != "Bearer" ||
		!got.Token.Reveal().Expiry.Equal(want.Token.Reveal().Expiry) || !got.Obtained.Equal(epoch) || got.Lineage != "L" {
		t.Errorf("Load() = %+v %+v; want %+v %+v", got, got.Token, want, want.Token)
	}
	if ttl := c.PTTL(ctx, key).Val(); ttl != -1 {
		t.Errorf("the token key expires in %v; want no expiry", ttl)
	}
	if err := s.Save(ctx, &tokenrefresh.Entry{}); err == nil {
		t.Error("Save(empty entry) = nil error")
	}
}

func TestLoadRefusesAForeignValueWithoutQuotingIt(t *testing.T) {
	addr := redistest.Shared(t)
	c := newClient(t, addr)
	key := redistest.Key(t, addr)
	const secret = "do-not-print-me-0123456789"
	ctx := context.Background()
	for _, v := range []string{`{"access_token":"` + secret, `{"format":1}`, strings.Repeat("x", 2<<20)} {
		c.Set(ctx, key, v, 0)
		_, err := mustStore(t, c, key).Load(ctx)
		if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "delete the key") {
			t.Errorf("Load() of a foreign value = %v; want a clear error without the value", err)
		}
	}
}

func TestLoadRefusesANewerFormatAndSaysToUpgrade(t *testing.T) {
	addr := redistest.Shared(t)
	c := newClient(t, addr)
	key := redistest.Key(t, addr)
	const secret = "do-not-print-me-0123456789"
	ctx := context.Background()
	c.Set(ctx, key, `{"format":99,"access_token":"`+secret+`"}`, 0)
	_, err := mustStore(t, c, key).Load(ctx)
	var fe *tokenrefresh.FormatError
	if !errors.As(err, &fe) || fe.Format != 99 {
		t.Fatalf("Load() of a format 99 record = %v; want a *tokenrefresh.FormatError for format 99", err)
	}
	msg := err.Error()
	for _, want := range []string{key, "format 99", "formats 1 to 3", "upgrade"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Load() of a format 99 record = %q; want it to say %q", msg, want)
		}
	}
	if strings.Contains(msg, secret) || strings.Contains(msg, "delete the key") {
		t.Errorf("Load() of a format 99 record = %q; want neither the token nor advice to delete the key", msg)
	}
}

func TestUnreachableRedisFailsFastWithAdvice(t *testing.T) {
	c := newClient(t, redistest.FreeAddr(t))
	s := mustStore(t, c, "bearer-test:unreachable")
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	start := time.Now()
	if _, err := s.Load(ctx); err == nil || errors.Is(err, tokenrefresh.ErrNoToken) || !strings.Contains(err.Error(), "reachable") {
		t.Errorf("Load() with Redis down = %v; want an error saying to check Redis", err)
	}
	e := &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "secret-token-value"})}
	if err := s.Save(ctx, e); err == nil || strings.Contains(err.Error(), "secret-token-value") {
		t.Errorf("Save() with Redis down = %v; want an error without the token", err)
	}
	if _, err := s.Lock(ctx); err == nil || !strings.Contains(err.Error(), "reachable") {
		t.Errorf("Lock() with Redis down = %v; want an error at once, saying to check Redis", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("three calls with Redis down took %v; want them to fail fast", d)
	}
	// Watch reports the loss, and keeps trying until its context ends.
	wctx, wcancel := context.WithCancel(context.Background())
	errs := make(chan error, 100)
	done := make(chan error, 1)
	go func() {
		done <- s.Watch(wctx, func(err error) {
			select {
			case errs <- err:
			default:
			}
		})
	}()
	select {
	case err := <-errs:
		if err == nil || !strings.Contains(err.Error(), "until Redis is back") {
			t.Errorf("Watch() with Redis down notified %v; want the loss, explained", err)
		}
	case <-time.After(waitLimit):
		t.Error("Watch() with Redis down never notified")
	}
	wcancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Watch() returned %v; want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Watch() did not return after its context ended")
	}
}
