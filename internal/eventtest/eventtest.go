// Package eventtest lets tests wait on a [tokenrefresh.Refresher]'s events
// instead of sleeping or polling: an Observer that hands every event to a
// channel, and waits on that channel, each bounded by [Limit]. It serves
// the tests of tokenrefresh and of the nested modules (redisstore,
// otelobserver, cmd/bearer), which may import the root module's internal
// packages: their import paths share its prefix.
//
// Usage:
//
//	obs, evs := eventtest.Channel()
//	r := start(t, tokenrefresh.Config{Observer: obs, ...})
//	e := eventtest.Wait(t, evs, tokenrefresh.Failed) // skips other kinds
//	eventtest.Until(t, evs, "healthy", func() bool { return r.Status().Healthy })
package eventtest

import (
	"testing"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
)

// Limit bounds every wait, so that a broken test fails instead of hanging;
// passing tests never come near it. It leaves room for a Redis store's
// reconnection backoff (at most 5 s) after an outage.
const Limit = 20 * time.Second

// capacity is the room of [Channel]'s channel: more events than any test
// causes, since the Observer blocks the Refresher once it is full.
const capacity = 10000

// Channel returns an Observer that sends every event to the returned
// channel.
func Channel() (tokenrefresh.Observer, chan tokenrefresh.Event) {
	ch := make(chan tokenrefresh.Event, capacity)
	return tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) { ch <- e }), ch
}

// Wait waits for the next event of kind on ch, skipping the others, and
// returns it.
func Wait(t testing.TB, ch <-chan tokenrefresh.Event, kind tokenrefresh.EventKind) tokenrefresh.Event {
	t.Helper()
	deadline := time.After(Limit)
	for {
		select {
		case e := <-ch:
			if e.Kind == kind {
				return e
			}
		case <-deadline:
			t.Fatalf("no %v event within %v", kind, Limit)
			return tokenrefresh.Event{}
		}
	}
}

// Next waits for the next event on ch, which must be of kind, and returns
// it.
func Next(t testing.TB, ch <-chan tokenrefresh.Event, kind tokenrefresh.EventKind) tokenrefresh.Event {
	t.Helper()
	select {
	case e := <-ch:
		if e.Kind != kind {
			t.Fatalf("event %v (%v); want %v", e.Kind, e.Err, kind)
		}
		return e
	case <-time.After(Limit):
		t.Fatalf("no %v event within %v", kind, Limit)
		return tokenrefresh.Event{}
	}
}

// Until waits until cond holds, checking it at once and again after each
// event on ch: for a state whose changes are each followed by an event,
// such as Healthy, Unsaved or StoreUnavailable in a Refresher's Status
// (not Valid, which the clock alone changes). It fails t, saying what, if
// cond does not hold within Limit.
func Until(t testing.TB, ch <-chan tokenrefresh.Event, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(Limit)
	for !cond() {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("never within %v: %s", Limit, what)
		}
	}
}
