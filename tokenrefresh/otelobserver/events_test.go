package otelobserver_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
)

// The events a single process does not make by itself (a fleet's Held
// and Adopted, the store's) are counted too: a plan adopted (Adopted
// with Retry) is no adoption of a token; the store gauge follows
// StoreUnavailable and StoreRecovered; a published token ends a loss,
// and a permanent failure is one even without Lost; Started gives the
// expiry of the token the Refresher started with, unless an event gave
// one first.
func TestEventsOfFleetsAndStores(t *testing.T) {
	now := epoch
	otel := newSDK(t)
	tel := otel.telemetry(t, func() time.Time { return now })
	a, b := tel.Lineage("a"), tel.Lineage("b")
	if tel.Lineage("a") != a {
		t.Error("Lineage(a) twice gave two Lineages")
	}
	a.Started(tokenrefresh.Status{Expiry: epoch.Add(30 * time.Minute), StoreUnavailable: true})
	for _, e := range []tokenrefresh.Event{
		{Kind: tokenrefresh.Held, Retry: epoch.Add(time.Second)},
		{Kind: tokenrefresh.Held},
		{Kind: tokenrefresh.Adopted, Retry: epoch.Add(time.Minute)},    // a plan
		{Kind: tokenrefresh.Adopted, Expiry: epoch.Add(2 * time.Hour)}, // a token
		{Kind: tokenrefresh.StoreUnavailable},
		{Kind: tokenrefresh.StoreRecovered},
	} {
		b.Observe(e)
	}
	b.Started(tokenrefresh.Status{Expiry: epoch.Add(time.Minute)}) // too late: the adopted token's expiry stands
	b.Observe(tokenrefresh.Event{Kind: tokenrefresh.Lost})
	b.Observe(tokenrefresh.Event{Kind: tokenrefresh.Adopted, Expiry: epoch.Add(2 * time.Hour)}) // a person signed in again
	// Lost comes once per Refresher: the next permanent failure is a loss
	// all the same.
	a.Observe(tokenrefresh.Event{Kind: tokenrefresh.Failed, Err: tokenrefresh.Permanent(errors.New("revoked"))})
	now = epoch.Add(10 * time.Minute)

	points, _ := otel.collect(t)
	want := map[string]float64{
		"bearer.token.holds{bearer.token.name=b}":                                        2,
		"bearer.token.adoptions{bearer.token.name=b}":                                    2,
		"bearer.token.time_to_expiry{bearer.token.name=a}":                               (20 * time.Minute).Seconds(),
		"bearer.token.time_to_expiry{bearer.token.name=b}":                               (110 * time.Minute).Seconds(),
		"bearer.token.store.unavailable{bearer.token.name=a}":                            1,
		"bearer.token.store.unavailable{bearer.token.name=b}":                            0,
		"bearer.token.lost{bearer.token.name=a}":                                         1,
		"bearer.token.lost{bearer.token.name=b}":                                         0,
		"bearer.token.failures{bearer.token.failure.kind=permanent,bearer.token.name=a}": 1,
	}
	for k, v := range want {
		if got, ok := points[k]; !ok || got != v {
			t.Errorf("%s = %v (reported: %v); want %v", k, got, ok, v)
		}
	}
	if len(points) != len(want) {
		t.Errorf("%d data points; want %d: %v", len(points), len(want), points)
	}
	if n := len(otel.spans.Ended()); n != 0 {
		t.Errorf("%d spans; want none: no event here has a Start", n)
	}
}

// A closed Lineage is no longer reported by the gauges; a closed
// Telemetry reports no gauge at all, and Close is idempotent.
func TestClose(t *testing.T) {
	otel := newSDK(t)
	tel := otel.telemetry(t, nil)
	a, b := tel.Lineage("a"), tel.Lineage("b")
	a.Started(tokenrefresh.Status{Expiry: time.Now().Add(time.Hour)})
	b.Started(tokenrefresh.Status{Expiry: time.Now().Add(time.Hour)})
	a.Close()
	points, _ := otel.collect(t)
	if _, ok := points["bearer.token.lost{bearer.token.name=a}"]; ok {
		t.Error("a closed Lineage is still reported")
	}
	if _, ok := points["bearer.token.time_to_expiry{bearer.token.name=b}"]; !ok {
		t.Error("the open Lineage is not reported")
	}
	if err := tel.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := tel.Close(); err != nil {
		t.Fatalf("Close() again = %v", err)
	}
	if points, _ := otel.collect(t); len(points) != 0 {
		t.Errorf("after Close, %d data points: %v; want none", len(points), points)
	}
}
