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

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
