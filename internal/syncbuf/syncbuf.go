// Package syncbuf is a byte buffer that several goroutines may write to at
// once, for tests that collect log output from background goroutines and
// read it while they still run.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a [bytes.Buffer] guarded by a mutex. The zero value is an empty
// buffer ready to use. It is safe for concurrent use; do not copy it after
// first use.
type Buffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

// Write appends p to the buffer. It never fails.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns a copy of everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
