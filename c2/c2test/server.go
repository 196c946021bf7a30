package c2test

import (
	"crypto/rand"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/bearer-go/bearer/internal/kit"
)

// Paths the fake serves, as the real C2 API spells them under its root
// (https://api.c2.noc.ac.uk). A token or plan id follows the prefixes.
const (
	TokensPathPrefix = "/charon/tokens/"
	DriversPath      = "/apf/drivers"
	PositionsPath    = "/positions/positions"
	ObservationsPath = "/timeseries/observations/csv_combined_transposed"
	PlansPathPrefix  = "/planner/plans/"
	LogPath          = "/logging/log"
)

const (
	// DefaultTokenIdle is how long a token stays valid after its last use:
	// the C2 notebook says "tokens remain active 1 hour after their last use".
	DefaultTokenIdle = time.Hour

	// DefaultObservationRows is the number of CSV rows an observations
	// request answers: one day of one-minute samples, which looks real and
	// reads in a unit test in a blink.
	DefaultObservationRows = 1440

	// AllPlatforms is the permission that sees every platform.
	AllPlatforms = "*"

	// MaxBodyBytes bounds every request body the fake reads (1 MiB, the
	// figure the whole module uses).
	MaxBodyBytes = 1 << 20
)

// Options configures a [Server]. The zero value is a valid configuration.
type Options struct {
	// Now is the clock that checks token expiry and stamps positions,
	// observations and log entries. It must be safe for concurrent use.
	// Optional: nil means time.Now.
	Now func() time.Time

	// TokenIdle is how long a token stays valid after its last use (its
	// issue, its rotation, or any request it authenticates). Optional: zero
	// or negative means DefaultTokenIdle.
	TokenIdle time.Duration

	// DefaultPlatforms is the permission set of a token issued without
	// explicit permissions (see [Server.IssueToken] for the key syntax).
	// Optional: nil means []string{AllPlatforms}; a non-nil empty slice means
	// such tokens see no platform at all.
	DefaultPlatforms []string

	// Platforms lists the platforms that have data, as "type/serial" keys.
	// Positions and observations of any other platform are empty (if the
	// token may see it). Optional: nil means "slocum/unit_398",
	// "autosub_lr/ALR_4" and "sailbuoy/SB2016".
	Platforms []string

	// ObservationRows is the number of data rows in every observations CSV.
	// Set it high (a million rows of one variable make about 45 MB) to test large bodies; the
	// fake streams the rows and never holds the body. Optional: zero or
	// negative means DefaultObservationRows.
	ObservationRows int

	// Rand is the source of token bytes. A reader that fails or runs dry
	// makes the fake panic. Optional: nil means crypto/rand.Reader.
	Rand io.Reader

	// Logger receives one record per request (method, route pattern,
	// status, fault) and one per rotation; never a token. Optional: nil
	// means no logging.
	Logger *slog.Logger

	// OnRotate, if set, is called after each rotation is applied, just
	// before it is answered, from the request's goroutine: tests use it to
	// learn when rotations happen. Optional.
	OnRotate func()

	// OnUnauthorized, if set, is called after each request answered 401,
	// from the request's goroutine, with its route pattern: tests use it
	// to learn when 401s happen. Optional.
	OnUnauthorized func(route string)
}

// Stats counts what clients did. The zero value means nothing happened.
type Stats struct {
	// Requests counts requests by the route pattern that matched, such as
	// "PUT /charon/tokens/{token}" or "GET /apf/drivers" ("/" for paths the
	// fake does not serve). Faulted and dropped requests count too.
	Requests map[string]int

	// Rotations counts tokens rotated, including rotations applied before a
	// DropAfterApply fault closed the connection.
	Rotations int

	// Unauthorized counts 401 answers, whatever produced them.
	Unauthorized int

	// Forbidden counts 403 answers, whatever produced them.
	Forbidden int

	// FaultsApplied counts requests that matched an injected [Fault].
	FaultsApplied int

	// Dropped counts connections closed without an answer.
	Dropped int

	// CSVBytes counts bytes of observation CSV handed to the connection.
	CSVBytes int64
}

// Server is a fake of the C2 API. It is an [http.Handler]; serve it with
// [net/http/httptest.NewServer]. The zero value is not usable; call [New].
// A Server is safe for concurrent use.
type Server struct {
	now       func() time.Time
	idle      time.Duration
	defaults  permSet
	platforms map[string]bool
	rows      int
	log       *slog.Logger
	onRotate  func()
	on401     func(route string)
	mux       *http.ServeMux

	mu     sync.Mutex // guards rand, tokens, faults, plans, nextID, logs, stats
	rand   io.Reader
	tokens map[string]*tokenState
	faults []*faultState
	plans  map[int][]byte
	nextID int
	logs   []LogEntry
	stats  Stats
}

// New returns a fake C2 API configured by opts, with no tokens (issue them
// with [Server.IssueToken]) and plans 1, 2 and 3 (see [Server.AddPlan]).
func New(opts Options) *Server {
	s := &Server{
		now:       opts.Now,
		idle:      opts.TokenIdle,
		defaults:  newPermSet([]string{AllPlatforms}),
		platforms: make(map[string]bool),
		rows:      opts.ObservationRows,
		log:       opts.Logger,
		onRotate:  opts.OnRotate,
		on401:     opts.OnUnauthorized,
		mux:       http.NewServeMux(),
		rand:      opts.Rand,
		tokens:    make(map[string]*tokenState),
		plans:     defaultPlans(),
		stats:     Stats{Requests: make(map[string]int)},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.idle <= 0 {
		s.idle = DefaultTokenIdle
	}
	if opts.DefaultPlatforms != nil {
		s.defaults = newPermSet(opts.DefaultPlatforms)
	}
	platforms := opts.Platforms
	if platforms == nil {
		platforms = []string{"slocum/unit_398", "autosub_lr/ALR_4", "sailbuoy/SB2016"}
	}
	for _, p := range platforms {
		s.platforms[p] = true
	}
	if s.rows <= 0 {
		s.rows = DefaultObservationRows
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.handle("PUT "+TokensPathPrefix+"{token}", s.handleRotate)
	s.handle("GET "+DriversPath, s.handleDrivers)
	s.handle("GET "+PositionsPath, s.handlePositions)
	s.handle("GET "+ObservationsPath, s.handleObservations)
	s.handle("PATCH "+PlansPathPrefix+"{id}", s.handlePatchPlan)
	s.handle("POST "+LogPath, s.handleLog)
	s.handle("/", func(w http.ResponseWriter, _ *http.Request) {
		writeDetail(w, http.StatusNotFound, "Not Found")
	})
}

// ServeHTTP serves the C2 API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = maps.Clone(s.stats.Requests)
	return st
}

func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, h)
	})
}

// outcome is what became of one request.
type outcome string

const (
	served    outcome = "served"
	faulted   outcome = "fault status"
	dropped   outcome = "dropped"
	abandoned outcome = "client gone"
)

// serve runs h for r under the fake's common rules: a bounded body,
// counting, fault injection and logging.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	sw := &statusWriter{ResponseWriter: w}
	f := s.begin(r)
	result := s.run(sw, r, h, f)
	s.finish(r, sw.status, result)
	if result == dropped {
		kit.Drop(w)
	}
}

// begin counts r and takes the first fault that matches it.
func (s *Server) begin(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests[r.Pattern]++
	f := s.takeFaultLocked(r)
	if f != nil {
		s.stats.FaultsApplied++
	}
	return f
}

// finish counts the answer and logs it. The log names the route pattern,
// never the path, which may hold a token.
func (s *Server) finish(r *http.Request, status int, result outcome) {
	s.mu.Lock()
	switch {
	case result == dropped:
		s.stats.Dropped++
	case status == http.StatusUnauthorized:
		s.stats.Unauthorized++
	case status == http.StatusForbidden:
		s.stats.Forbidden++
	}
	s.mu.Unlock()
	if status == http.StatusUnauthorized && result != dropped && s.on401 != nil {
		s.on401(r.Pattern)
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "c2test: request",
		slog.String("method", r.Method),
		slog.String("route", r.Pattern),
		slog.Int("status", status),
		slog.String("outcome", string(result)))
}

// statusWriter remembers the status a handler answered. Unwrap lets
// [http.ResponseController] reach the connection beneath.
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
