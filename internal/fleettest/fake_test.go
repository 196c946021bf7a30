package fleettest_test

import (
	"sync"
	"time"
)

// rotationLog records when the fake applied each rotation.
type rotationLog struct {
	notify func()

	mu    sync.Mutex // guards times
	times []time.Time
}

// record logs a rotation the fake applied; it is the fake's OnRotate.
func (l *rotationLog) record() {
	l.mu.Lock()
	l.times = append(l.times, time.Now())
	l.mu.Unlock()
	l.notify()
}

func (l *rotationLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.times)
}

// at returns the times of the rotations so far.
func (l *rotationLog) at() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.times...)
}
