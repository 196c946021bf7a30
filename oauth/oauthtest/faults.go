package oauthtest

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/kit"
)

// FaultKind says how an injected [Fault] answers.
type FaultKind int

// The kinds of fault.
const (
	// FaultStatus answers Fault.Status with FastAPI's JSON body
	// {"detail": "<status text>"}, without serving the request: a 503 or
	// 429 with Retry-After, a 500, a spurious 401.
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
	// FaultDelay holds the request (Fault.Delay, Fault.Block), then serves
	// it normally.
	FaultDelay
	// FaultDrop closes the connection without serving the request. A Go
	// client sees a transport error.
	FaultDrop
	// FaultDropAfterApply serves the request in full (a refresh token is
	// rotated, a code is spent, a client is created), then closes the
	// connection without answering: the client never learns the outcome.
	// [Server.Successor] finds the refresh token a lost rotation issued.
	FaultDropAfterApply
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
	case FaultDrop:
		return "drop"
	case FaultDropAfterApply:
		return "drop-after-apply"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// defaultOversize is FaultOversized's body size when Fault.Size is zero:
// twice what a well-behaved client reads.
const defaultOversize = 2 * MaxBodyBytes

// Fault is a failure to inject with [Server.InjectFault]. A fault matches a
// request by Method and Path; each request takes at most one fault, the
// first injected that still matches. What a matched request meets, in
// order: OnMatch is called; Delay, then Block, hold it (if the client goes
// away meanwhile, the request is dropped unserved); then Kind decides the
// answer.
//
// A dropped connection reaches a Go client as a transport error. Go's
// [http.Transport] silently retries a request that failed on a reused
// connection when it is a GET or carries an Idempotency-Key header; a
// token request (a POST) is not retried.
type Fault struct {
	// Kind says how the fault answers. Required.
	Kind FaultKind

	// Method is the method to match, such as "POST". Optional: empty
	// matches every method.
	Method string

	// Path is the URL path to match, exactly, such as [TokenPath].
	// Optional: empty matches every path, of the auth and the API side.
	Path string

	// Count is how many matching requests the fault applies to. Optional:
	// zero or negative means every matching request until
	// [Server.ClearFaults], so a test that forgets Count meets a bigger
	// fault, not a smaller one.
	Count int

	// Status is the answer's status: required for FaultStatus (400 to 599);
	// for FaultHTML zero means 502 (400 to 599 otherwise); ignored by the
	// other kinds.
	Status int

	// RetryAfter, if not empty, is sent as is as the answer's Retry-After
	// header: seconds ("120") or an HTTP date (RFC 9110 section 10.2.3).
	RetryAfter string

	// Delay holds the request this long (in real time, not on
	// [Config.Now]: it stalls I/O) before it is answered. FaultDelay needs
	// a positive Delay or a Block; any kind may have one.
	Delay time.Duration

	// Block, if not nil, holds the request after Delay until the channel
	// is closed: a test keeps a request in flight for as long as it needs.
	Block <-chan struct{}

	// OnMatch, if not nil, is called on the request's goroutine when the
	// request takes the fault, before Delay and Block: a test learns that
	// the request has arrived.
	OnMatch func()

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
		if f.Delay <= 0 && f.Block == nil {
			return fmt.Errorf("oauthtest: FaultDelay needs a positive Delay or a Block, not %v and none", f.Delay)
		}
	case FaultOversized, FaultErrorIn200, FaultDrop, FaultDropAfterApply:
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

// InjectFault adds f after the faults already injected. It fails if f is
// not valid.
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
	left := f.Count
	if left <= 0 {
		left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, left: left})
	return nil
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault that matches r, counting it against
// its Count.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Path != "" && f.Path != r.URL.Path) || (f.Method != "" && !strings.EqualFold(f.Method, r.Method)) {
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

// serve serves r with h, unless a fault takes it: then the fault decides.
func (s *Server) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	f, ok := s.takeFault(r)
	if !ok {
		h.ServeHTTP(w, r)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: fault injected",
		slog.String("path", r.URL.Path), slog.String("kind", f.Kind.String()))
	if f.OnMatch != nil {
		f.OnMatch()
	}
	if (f.Delay > 0 || f.Block != nil) && !kit.Hold(r, MaxBodyBytes, f.Delay, f.Block) {
		return // the client gave up
	}
	switch f.Kind {
	case FaultDrop:
		s.drop(w)
		return
	case FaultDropAfterApply:
		h.ServeHTTP(kit.Discard(), r)
		s.drop(w)
		return
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	s.answerFault(h, w, r, f)
}

// answerFault answers r as a fault of an answering kind says.
func (s *Server) answerFault(h http.Handler, w http.ResponseWriter, r *http.Request, f Fault) {
	switch f.Kind {
	case FaultDelay:
		h.ServeHTTP(w, r)
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
}

// drop closes the connection under w without an answer and counts it.
func (s *Server) drop(w http.ResponseWriter) {
	s.mu.Lock()
	s.stats.Dropped++
	s.mu.Unlock()
	kit.Drop(w)
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
