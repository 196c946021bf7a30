package fleettest

import (
	"fmt"
	"sort"
	"strings"
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

// rejections records when the fake answered an API request 401, to tell
// where in the rotation cycle it came.
type rejections struct {
	mu    sync.Mutex // guards times
	times []time.Time
}

// record logs a 401 to anything but a rotation; it is the fake's
// OnUnauthorized.
func (rj *rejections) record(route string) {
	if route == rotatePattern {
		return
	}
	rj.mu.Lock()
	rj.times = append(rj.times, time.Now())
	rj.mu.Unlock()
}

// describe says when each 401 came, after which rotation of rot.
func (rj *rejections) describe(rot []time.Time) string {
	rj.mu.Lock()
	defer rj.mu.Unlock()
	var b strings.Builder
	for _, at := range rj.times {
		i := sort.Search(len(rot), func(i int) bool { return rot[i].After(at) }) - 1
		if i < 0 {
			fmt.Fprintf(&b, " before the first rotation;")
			continue
		}
		fmt.Fprintf(&b, " %v after rotation %d;", at.Sub(rot[i]).Round(time.Millisecond), i+1)
	}
	return b.String()
}
