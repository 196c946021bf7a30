package c2test

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/kit"
)

// Fault makes requests misbehave, for testing how clients cope. A fault
// matches a request by Method and Path; each request takes at most one
// fault, the first injected that still matches. What a matched request
// meets, in order:
//
//  1. OnMatch, if set, is called.
//  2. Delay, then Block, hold the request; if the client goes away
//     meanwhile, the request is dropped unapplied.
//  3. Then exactly one of: Drop closes the connection without applying the
//     request; a non-zero Status answers that status without applying it (no
//     authentication, no token use, as a proxy in front of C2 would);
//     DropAfterApply applies the request in full (a rotation happens, a log
//     entry is stored) and then closes the connection without answering;
//     otherwise the request is served normally, late.
//
// A dropped connection reaches a Go client as a transport error. Go's
// [http.Transport] silently retries a GET (or a request with an
// Idempotency-Key header) that failed on a reused connection, so a test
// that wants to see a dropped GET should disable keep-alives. The zero
// value matches every request and does nothing to it.
type Fault struct {
	// Method is the method to match, such as "PUT". Optional: empty
	// matches every method.
	Method string

	// Path is a prefix of the URL paths to match, such as
	// [TokensPathPrefix]. Optional: empty matches every path.
	Path string

	// Count is how many matching requests the fault applies to.
	// Optional: zero or negative means every matching request until
	// [Server.ClearFaults], so a test that forgets Count meets a bigger
	// fault, not a smaller one.
	Count int

	// Status, if not zero, is answered instead of serving the request.
	Status int

	// Body is the body of the Status answer. Optional: empty means a
	// FastAPI error, {"detail": <status text>}.
	Body string

	// RetryAfter, if not empty, is sent as is with the Status answer as its
	// Retry-After header: seconds ("120") or an HTTP date (RFC 9110 section
	// 10.2.3).
	RetryAfter string

	// Delay, if positive, holds the request this long (on the real clock,
	// not [Options.Now]: it stalls I/O) before anything else happens.
	Delay time.Duration

	// Block, if not nil, holds the request until the channel is closed.
	// Tests use it to keep a request in flight for as long as they need.
	Block <-chan struct{}

	// OnMatch, if not nil, is called on the request's goroutine when a
	// request takes the fault, before Delay and Block. Tests use it to learn
	// that a request has arrived.
	OnMatch func()

	// Drop closes the connection without applying the request.
	Drop bool

	// DropAfterApply applies the request, then closes the connection
	// without answering. On a rotation, the old token is dead yet the client
	// never learns the new one (find it with [Server.Successor]).
	DropAfterApply bool
}

// faultState is an injected fault and how many uses it has left.
type faultState struct {
	f         Fault
	left      int
	unlimited bool
}

// InjectFault adds f after the faults already injected.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{f: f, left: f.Count, unlimited: f.Count <= 0})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFaultLocked returns the first fault matching r and uses it up, or
// nil. Spent faults are removed.
func (s *Server) takeFaultLocked(r *http.Request) *Fault {
	for i, fs := range s.faults {
		if !fs.matches(r) {
			continue
		}
		f := fs.f
		if !fs.unlimited {
			fs.left--
			if fs.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

func (fs *faultState) matches(r *http.Request) bool {
	return (fs.f.Method == "" || strings.EqualFold(fs.f.Method, r.Method)) &&
		strings.HasPrefix(r.URL.Path, fs.f.Path)
}

// run serves r with h, as the fault f (which may be nil) dictates.
func (s *Server) run(w *statusWriter, r *http.Request, h http.HandlerFunc, f *Fault) outcome {
	if f == nil {
		h(w, r)
		return served
	}
	if f.OnMatch != nil {
		f.OnMatch()
	}
	if (f.Delay > 0 || f.Block != nil) && !kit.Hold(r, MaxBodyBytes, f.Delay, f.Block) {
		return abandoned
	}
	switch {
	case f.Drop:
		return dropped
	case f.Status != 0:
		writeFault(w, f)
		return faulted
	case f.DropAfterApply:
		h(&statusWriter{ResponseWriter: kit.Discard()}, r)
		return dropped
	}
	h(w, r)
	return served
}

// writeFault answers the status of f.
func writeFault(w http.ResponseWriter, f *Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body == "" {
		writeDetail(w, f.Status, http.StatusText(f.Status))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	io.WriteString(w, f.Body)
}
