package eventtest_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fataltest"
	"github.com/bearer-go/bearer/tokenrefresh"
)

func TestWaitSkipsOtherKinds(t *testing.T) {
	obs, ch := eventtest.Channel()
	obs.Observe(tokenrefresh.Event{Kind: tokenrefresh.Failed})
	obs.Observe(tokenrefresh.Event{Kind: tokenrefresh.Refreshed, Failures: 7})
	if e := eventtest.Wait(t, ch, tokenrefresh.Refreshed); e.Failures != 7 {
		t.Errorf("Wait() = %+v; want the Refreshed event", e)
	}
}

func TestNextFailsOnAnotherKind(t *testing.T) {
	obs, ch := eventtest.Channel()
	obs.Observe(tokenrefresh.Event{Kind: tokenrefresh.Failed, Err: errors.New("boom")})
	msg := fataltest.Run(t, func(tb testing.TB) { eventtest.Next(tb, ch, tokenrefresh.Refreshed) })
	if !strings.Contains(msg, "failed (boom); want refreshed") {
		t.Errorf("Next() on a Failed event failed with %q; want it to name both kinds", msg)
	}
}

func TestUntilChecksAgainAfterEachEvent(t *testing.T) {
	obs, ch := eventtest.Channel()
	var state atomic.Int32
	go func() {
		for i := range 3 {
			state.Store(int32(i + 1))
			obs.Observe(tokenrefresh.Event{Kind: tokenrefresh.Refreshed})
		}
	}()
	checks, last := 0, false
	eventtest.Until(t, ch, "the third change", func() bool {
		checks++
		last = state.Load() == 3
		return last
	})
	if !last {
		t.Error("Until returned before cond held")
	}
	if checks > 4 {
		t.Errorf("cond checked %d times for 3 events; want at most 4 (once, then once per event)", checks)
	}
}
