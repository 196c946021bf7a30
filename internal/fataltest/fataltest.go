// Package fataltest tests test helpers: it runs a helper with a
// testing.TB whose Fatalf ends the helper, as the real one does, and
// reports the message instead of failing the test that runs it.
package fataltest

import (
	"fmt"
	"runtime"
	"testing"
)

// Run calls f with a testing.TB on a goroutine of its own, and returns the
// message f failed with through Fatalf, or "" if it returned. Every other
// method is t's.
func Run(t testing.TB, f func(tb testing.TB)) string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

// recorder is a testing.TB that records Fatalf.
type recorder struct {
	testing.TB
	msg string // written by Fatalf, read after its goroutine ended
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
