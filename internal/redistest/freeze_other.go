//go:build !unix

package redistest

// Freeze skips the test: it needs SIGSTOP, which this system lacks.
func (s *Server) Freeze() { s.t.Skip("redistest: Freeze needs SIGSTOP, which this system lacks") }

// Thaw does nothing: Freeze skipped the test.
func (s *Server) Thaw() {}
