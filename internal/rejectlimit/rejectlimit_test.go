package rejectlimit

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// A server that rejects every credential the limiter lets in: the gaps
// between replacements double up to the maximum.
func TestIntervalDoublesWhileReplacementsAreRejected(t *testing.T) {
	l := New(time.Second, 8*time.Second)
	issued := t0.Add(-time.Hour) // the first credential served an hour
	now := t0
	var gaps []time.Duration
	last := now
	for step := 0; step < 40*1000; step++ { // 40 s of rejections, one a millisecond
		if l.Allow(now, issued) {
			gaps = append(gaps, now.Sub(last))
			last, issued = now, now // the replacement, obtained now
		}
		now = now.Add(time.Millisecond)
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	if len(gaps) != len(want) {
		t.Fatalf("replacements at gaps %v; want %v", gaps, want)
	}
	for i := range want {
		if gaps[i] != want[i] {
			t.Fatalf("replacements at gaps %v; want %v", gaps, want)
		}
	}
}

// A rejection of a credential older than the last replacement (another
// process rotated it, or it served a while) starts again from the minimum.
func TestAnOlderCredentialResetsTheInterval(t *testing.T) {
	l := New(time.Second, time.Minute)
	now := t0
	for i := range 4 { // four rejected replacements: the interval is 8 s
		if !l.Allow(now, now.Add(-time.Millisecond)) && i == 0 {
			t.Fatal("Allow() = false for the first rejection")
		}
		now = now.Add(time.Minute)
	}
	if !l.Allow(now, now.Add(-2*time.Minute)) {
		t.Fatal("Allow() = false a minute after the last replacement")
	}
	if l.Allow(now.Add(999*time.Millisecond), time.Time{}) {
		t.Error("Allow() = true within the minimum of the last replacement")
	}
	if !l.Allow(now.Add(time.Second), time.Time{}) {
		t.Error("Allow() = false a minimum after a replacement of an older credential; want the interval reset")
	}
}

// A credential obtained on schedule long after the last replacement is not
// that replacement: its rejection starts again from the minimum.
func TestACredentialObtainedOnScheduleResetsTheInterval(t *testing.T) {
	l := New(time.Second, time.Minute)
	l.Allow(t0, time.Time{})                         // replaced at t0
	l.Allow(t0.Add(time.Second), t0)                 // the replacement rejected: 2 s
	rotated := t0.Add(time.Hour)                     // a scheduled rotation, much later
	if !l.Allow(rotated.Add(time.Minute), rotated) { // rejected a minute after
		t.Fatal("Allow() = false long after the last replacement")
	}
	if !l.Allow(rotated.Add(time.Minute+time.Second), time.Time{}) {
		t.Error("Allow() = false a minimum later; want the interval reset by a credential obtained on schedule")
	}
}
