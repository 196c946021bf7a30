package fleettest_test

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bearer-go/bearer/internal/fakec2"
)

// rotationLog records when the fake applied each rotation it answered.
type rotationLog struct {
	notify func()

	mu    sync.Mutex // guards times
	times []time.Time
}

// wrap serves h, logging every rotation answered 200.
func (l *rotationLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, fakec2.TokensPathPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusOK {
			l.mu.Lock()
			l.times = append(l.times, time.Now())
			l.mu.Unlock()
			l.notify()
		}
	})
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

// statusWriter remembers the status a handler answered. Unwrap lets the
// fake hijack the connection beneath.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
