package oauthtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// FaultKind says how an injected [Fault] answers.
type FaultKind int

// The kinds of fault.
const (
	// FaultStatus answers Fault.Status with FastAPI's JSON body
	// {"detail": "<status text>"}: a 503 or 429 with Retry-After, a 500, a
	// spurious 401.
	FaultStatus FaultKind = iota + 1
	// FaultHTML answers Fault.Status (zero means 502) with the HTML page a
	// load balancer in front of the service shows, not JSON.
	FaultHTML
	// FaultOversized answers 200 with a JSON body of Fault.Size bytes, more
	// than a client should read.
	FaultOversized
	// FaultErrorIn200 answers 200 with an RFC 6749 error body,
	// {"error":"server_error",...}, and no token.
	FaultErrorIn200
	// FaultDelay waits Fault.Delay, then serves the request normally.
	FaultDelay
)

// String returns the kind's name.
func (k FaultKind) String() string {
	switch k {
	case FaultStatus:
		return "status"
	case FaultHTML:
		return "html"
	case FaultOversized:
		return "oversized"
	case FaultErrorIn200:
		return "error-in-200"
	case FaultDelay:
		return "delay"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// defaultOversize is FaultOversized's body size when Fault.Size is zero:
// twice what a well-behaved client reads.
const defaultOversize = 2 * MaxBodyBytes

// Fault is a failure to inject with [Server.InjectFault].
type Fault struct {
	// Kind says how the fault answers. Required.
	Kind FaultKind

	// Path is the URL path the fault applies to, such as [TokenPath].
	// Optional: empty means every path, of the auth and the API side.
	Path string

	// Times is how many matching requests the fault answers. Optional:
	// zero means 1; negative means every one until [Server.ClearFaults].
	Times int

	// Status is the answer's status: required for FaultStatus (400 to 599);
	// for FaultHTML zero means 502 (400 to 599 otherwise); ignored by the
	// other kinds.
	Status int

	// RetryAfter is the Retry-After header of the answer, in seconds or an
	// HTTP date (RFC 9110 section 10.2.3). Optional: empty means none.
	RetryAfter string

	// Delay is how long to wait (in real time, not on Config.Now) before
	// answering. Required for FaultDelay; optional for the others. A client
	// that gives up while waiting gets no answer.
	Delay time.Duration

	// Size is the body size of FaultOversized, at least the size of its JSON
	// frame. Optional: zero means twice MaxBodyBytes.
	Size int
}

func (f *Fault) validate() error {
	switch f.Kind {
	case FaultStatus:
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("oauthtest: FaultStatus needs a Status from 400 to 599, not %d", f.Status)
		}
	case FaultHTML:
		if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
			return fmt.Errorf("oauthtest: FaultHTML needs a Status from 400 to 599 or zero, not %d", f.Status)
		}
	case FaultDelay:
		if f.Delay <= 0 {
			return fmt.Errorf("oauthtest: FaultDelay needs a positive Delay, not %v", f.Delay)
		}
	case FaultOversized, FaultErrorIn200:
	default:
		return fmt.Errorf("oauthtest: unknown fault kind %v", f.Kind)
	}
	if f.Delay < 0 || f.Size < 0 {
		return fmt.Errorf("oauthtest: fault Delay and Size must not be negative")
	}
	return nil
}

// activeFault is an injected fault and how many more requests it answers
// (negative: no limit).
type activeFault struct {
	Fault
	left int
}

// InjectFault queues a fault. A request is answered by the first queued
// fault whose Path matches it, until that fault has answered Times
// requests. It fails if f is not valid.
func (s *Server) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.Kind == FaultHTML && f.Status == 0 {
		f.Status = http.StatusBadGateway
	}
	if f.Kind == FaultOversized && f.Size == 0 {
		f.Size = defaultOversize
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, left: left})
	return nil
}

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the fault that answers a request to path, counting it
// against its Times.
func (s *Server) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Path != "" && f.Path != path {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		s.stats.Faults++
		return f.Fault, true
	}
	return Fault{}, false
}

// serveFault answers the request with an injected fault and reports
// whether it did; false means the request is still to be served (no fault,
// or a FaultDelay that has elapsed).
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.takeFault(r.URL.Path)
	if !ok {
		return false
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: fault injected",
		slog.String("path", r.URL.Path), slog.String("kind", f.Kind.String()))
	if f.Delay > 0 {
		readAhead(r)
		if !sleep(r.Context(), f.Delay) {
			return true // the client gave up
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch f.Kind {
	case FaultDelay:
		return false
	case FaultStatus:
		s.writeJSON(w, f.Status, detail{Detail: http.StatusText(f.Status)})
	case FaultHTML:
		s.writeHTML(w, f.Status)
	case FaultOversized:
		writeOversized(w, f.Size)
	case FaultErrorIn200:
		noStore(w)
		s.writeJSON(w, http.StatusOK, map[string]string{
			"error":             "server_error",
			"error_description": "injected fault: an error carried by a 200",
		})
	}
	return true
}

// readAhead reads up to MaxBodyBytes of the request body ahead and puts it
// back. net/http notices that a client hung up (and cancels the request's
// context) only once the body has been read to its end; without this, a
// delayed POST would hold its handler, and httptest.Server.Close, for the
// whole delay.
func readAhead(r *http.Request) {
	head, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	var rest io.Reader = r.Body
	if err != nil {
		rest = errReader{err}
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(head), rest), r.Body}
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// sleep waits d or until ctx is done, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// htmlPage is the error page of Google's front end, which sits in front of
// services hosted on Google Cloud.
const htmlPage = `<html><head>
<meta http-equiv="content-type" content="text/html;charset=utf-8">
<title>%[1]d Server Error</title>
</head>
<body text=#000000 bgcolor=#ffffff>
<h1>Error: %[2]s</h1>
<h2>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.</h2>
<h2></h2>
</body></html>
`

func (s *Server) writeHTML(w http.ResponseWriter, status int) {
	s.countStatus(status)
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, htmlPage, status, http.StatusText(status))
}

// writeOversized answers 200 with a token-shaped JSON body of size bytes
// (at least its frame), written in chunks.
func writeOversized(w http.ResponseWriter, size int) {
	const head, tail = `{"access_token":"`, `","token_type":"bearer"}`
	pad := max(size-len(head)-len(tail), 0)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+pad+len(tail)))
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte{'a'}, 32<<10)
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	for pad > 0 {
		n := min(pad, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return // the client stopped reading, as it should
		}
		pad -= n
	}
	_, _ = w.Write([]byte(tail))
}
