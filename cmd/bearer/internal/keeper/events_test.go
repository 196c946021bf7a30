package keeper

import (
	"errors"
	"testing"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
)

// The counts follow the events: failures by kind; a plan adopted
// (Adopted with Retry) is no token adopted; a loss lasts until a token is
// published, and a permanent failure is one even without Lost, which a
// Refresher sends once.
func TestEventsCounts(t *testing.T) {
	var got []tokenrefresh.EventKind
	ev := events{next: tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) { got = append(got, e.Kind) })}
	steps := []struct {
		e    tokenrefresh.Event
		lost bool
	}{
		{tokenrefresh.Event{Kind: tokenrefresh.Refreshed}, false},
		{tokenrefresh.Event{Kind: tokenrefresh.Failed, Err: errors.New("503")}, false},
		{tokenrefresh.Event{Kind: tokenrefresh.Failed, Err: tokenrefresh.InDoubt(errors.New("timeout"))}, false},
		{tokenrefresh.Event{Kind: tokenrefresh.Rejected}, false},
		{tokenrefresh.Event{Kind: tokenrefresh.RejectionLimited}, false},
		{tokenrefresh.Event{Kind: tokenrefresh.Held}, false},
		{tokenrefresh.Event{Kind: tokenrefresh.Failed, Err: tokenrefresh.Permanent(errors.New("401"))}, true},
		{tokenrefresh.Event{Kind: tokenrefresh.Lost}, true},
		{tokenrefresh.Event{Kind: tokenrefresh.Adopted, Retry: time.Now()}, true}, // a plan: still lost
		{tokenrefresh.Event{Kind: tokenrefresh.Adopted}, false},                   // bearer login's token
		{tokenrefresh.Event{Kind: tokenrefresh.Failed, Err: tokenrefresh.Permanent(errors.New("401"))}, true},
	}
	for i, s := range steps {
		ev.Observe(s.e)
		if ev.lost.Load() != s.lost {
			t.Errorf("after event %d (%v), lost = %v; want %v", i, s.e.Kind, !s.lost, s.lost)
		}
	}
	c := ev.counts()
	want := Counts{Refreshes: 1, Adoptions: 1, Rejections: 1, RejectionsLimited: 1, Holds: 1,
		Failures: map[string]int64{FailurePermanent: 2, FailureInDoubt: 1, FailureTemporary: 1}}
	if c.Refreshes != want.Refreshes || c.Adoptions != want.Adoptions || c.Rejections != want.Rejections ||
		c.RejectionsLimited != want.RejectionsLimited || c.Holds != want.Holds || len(c.Failures) != 3 {
		t.Errorf("counts = %+v; want %+v", c, want)
	}
	for k, v := range want.Failures {
		if c.Failures[k] != v {
			t.Errorf("failures %s = %d; want %d", k, c.Failures[k], v)
		}
	}
	if len(got) != len(steps) {
		t.Errorf("the next Observer got %d events; want %d", len(got), len(steps))
	}
}
