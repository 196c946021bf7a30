//go:build unix

package redistest

import "syscall"

// Freeze stops the server with SIGSTOP, sent to the process this Server
// started, by its pid: it keeps its connections and its port, takes new
// connections into the kernel's backlog, and answers nothing, as a hung
// Redis does. [Server.Thaw] resumes it; a frozen server is killed at the
// end of the test. It does nothing if the server is not running.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP, true) }

// Thaw resumes a server that [Server.Freeze] stopped, with SIGCONT.
func (s *Server) Thaw() { s.signal(syscall.SIGCONT, false) }

// signal sends sig to the running server, and records whether it is
// frozen.
func (s *Server) signal(sig syscall.Signal, frozen bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Errorf("redistest: signal redis-server: %v", err)
		return
	}
	s.proc.frozen = frozen
}
