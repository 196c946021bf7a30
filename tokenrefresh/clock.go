package tokenrefresh

import "time"

// Clock tells the time and makes timers. The zero [Config] uses the
// system clock; tests pass a fake one to drive hours of rotations without
// sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns the channel of a timer that fires after d, and a
	// function that stops it.
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

// A runtimeClock is a Clock whose Now carries a monotonic reading and
// whose timers run on the Go runtime's monotonic clock, as the system
// clock's do. Its Refresher marks fresh tokens (see markFresh), and its
// jumps watcher voids the marks when the wall clock jumps ahead of the
// monotonic one.
type runtimeClock interface {
	Clock
	jumps() *clockWatch
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

func (systemClock) jumps() *clockWatch { return systemJumps }

// systemJumps watches the system clock for the whole process: one
// goroutine while any Refresher on the system clock runs, none otherwise.
var systemJumps = newClockWatch(time.Now)

// until returns how long it is from now until t by whichever of the two
// readings a time may carry says less. The wall clock is what a token
// server judges expiry by (x/oauth2 compares t.Round(0) with time.Now),
// and it counts the time a machine spends suspended or a VM paused; the
// monotonic reading does not count that time, and is not moved by a step
// of the wall clock (a correction of a clock that was ahead). A time is
// thus reached when either says so: no jump of either clock makes a token
// served past its expiry. For times without a monotonic reading (a fake
// clock, a stored token) it is t.Sub(now).
func until(now, t time.Time) time.Duration {
	return min(t.Sub(now), t.Round(0).Sub(now.Round(0)))
}

// before reports whether now is before t by both readings (see until).
func before(now, t time.Time) bool { return until(now, t) > 0 }
