// Package fakeclock is a manual clock for tests: time moves only when a test
// calls [Clock.Advance], and timers fire in order as it passes them.
//
// It satisfies tokenrefresh.Clock, so a test can drive a Refresher through
// hours of rotations without sleeping. [Clock.BlockUntil] lets a test wait,
// without sleeping, until a background goroutine has parked on a timer.
package fakeclock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is a fake clock. The zero value is not usable; call [New].
// It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex // guards now, timers, changed
	now     time.Time
	timers  []*Timer
	changed chan struct{} // closed and replaced whenever timers change
}

// New returns a clock that reads start until it is advanced.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since returns the time elapsed since t on this clock.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Timer is a timer of a fake [Clock].
type Timer struct {
	c    *Clock
	when time.Time
	ch   chan time.Time
}

// C returns the channel the timer's time is sent on when it fires.
func (t *Timer) C() <-chan time.Time { return t.ch }

// Stop prevents the timer from firing. It reports whether it stopped it.
func (t *Timer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			c.notifyLocked()
			return true
		}
	}
	return false
}

// NewTimer returns the channel of a timer that fires once the clock has
// advanced by d, and a function that stops it. A timer with d <= 0 fires at
// once. The shape matches tokenrefresh.Clock.
func (c *Clock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := c.newTimer(d)
	return t.ch, t.Stop
}

func (c *Clock) newTimer(d time.Duration) *Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &Timer{c: c, when: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.notifyLocked()
	return t
}

// Advance moves the clock forward by d, firing every timer it passes in
// order of their deadlines. It panics if d is negative, which is always a
// bug in the test that asks.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		panic("fakeclock: Advance with a negative duration: time does not go back")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.now.Add(d)
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].when.Before(c.timers[j].when) })
	for len(c.timers) > 0 && !c.timers[0].when.After(end) {
		t := c.timers[0]
		c.timers = c.timers[1:]
		c.now = t.when
		t.ch <- t.when
	}
	c.now = end
	c.notifyLocked()
}

// Timers returns how many timers are waiting to fire.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// NextDeadline returns the earliest deadline of a waiting timer, and false
// if there is none.
func (c *Clock) NextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	min := c.timers[0].when
	for _, t := range c.timers[1:] {
		if t.when.Before(min) {
			min = t.when
		}
	}
	return min, true
}

// BlockUntil waits until at least n timers are waiting, or ctx is done.
func (c *Clock) BlockUntil(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		ok, ch := len(c.timers) >= n, c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// AwaitTimer waits until a waiting timer's deadline satisfies match, or ctx
// is done, and returns that deadline. match runs with the clock locked and
// must not call the clock. Tests use it to learn, without
// sleeping, that a goroutine has scheduled its next wake-up.
func (c *Clock) AwaitTimer(ctx context.Context, match func(deadline time.Time) bool) (time.Time, error) {
	for {
		c.mu.Lock()
		ch := c.changed
		for _, t := range c.timers {
			if match(t.when) {
				c.mu.Unlock()
				return t.when, nil
			}
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}
