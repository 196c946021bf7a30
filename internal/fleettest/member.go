package fleettest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// This file is the child side: one member of a fleet, run in a process of
// its own. The parent starts it with the environment below, reads its
// events on stdout, and stops it by closing its stdin (or with SIGTERM,
// or kills it with SIGKILL).

// Environment variables that configure a child.
const (
	envChild    = "FLEETTEST_CHILD"    // "1" in a child
	envRoot     = "FLEETTEST_ROOT"     // the fake C2's URL
	envToken    = "FLEETTEST_TOKEN"    // the lineage's first token
	envInterval = "FLEETTEST_INTERVAL" // the rotation interval, as a Go duration
	envStore    = "FLEETTEST_STORE"    // the store's spec (see StoreOpener)
	envFence    = "FLEETTEST_FENCE"    // c2.WithFence's length, as a Go duration; unset: no fence
)

// requestPeriod is how often a child calls the API: often enough that a
// member still holding a rotated token meets the 401 within a fraction of
// an interval, and light enough for twenty race-instrumented processes on
// two cores.
const requestPeriod = 150 * time.Millisecond

// requestTimeout bounds one API call of a child, replays and the wait for
// a new token included.
const requestTimeout = 10 * time.Second

// childMaxLife bounds a child whose parent failed to stop it: it stops by
// itself, so no test leaves a process behind.
const childMaxLife = 2 * time.Minute

// Exit codes of a child.
const (
	exitOK    = 0
	exitSetup = 2 // the environment or the client was wrong
)

func isChild() bool { return os.Getenv(envChild) == "1" }

// event is one line a child writes on stdout.
type event struct {
	// Event is "ready" once the client runs, "token" when the token it
	// serves changes, "store" when its store becomes unavailable or
	// available again, "put" just before it sends a rotation, and
	// "report" once, when told to stop.
	Event  string  `json:"event"`
	Hash   string  `json:"hash,omitempty"` // of the token served, for ready and token
	Down   bool    `json:"down,omitempty"` // for store: the store is unavailable
	Report *report `json:"report,omitempty"`
}

// report is a child's counts, sent when it is told to stop.
type report struct {
	Requests  int    `json:"requests"`   // API calls made
	Failures  int    `json:"failures"`   // API calls that returned an error
	Rejected  int    `json:"rejected"`   // failures that were a 401 (c2.ErrTokenRejected)
	API401    int64  `json:"api_401"`    // 401 answers to API requests seen on the wire, replayed ones included
	Charon401 int64  `json:"charon_401"` // 401 answers to rotations
	Outages   int    `json:"outages"`    // times Status().StoreUnavailable turned true
	Slowest   int64  `json:"slowest"`    // the longest API call, in nanoseconds
	Hash      string `json:"hash"`       // of the token served at the end
	Lost      bool   `json:"lost"`       // c2.Client.Lost was closed
	Healthy   bool   `json:"healthy"`    // Status().Healthy at the end
	// Err is the first failure, or why the token was lost; c2 keeps
	// tokens out of its messages.
	Err string `json:"err,omitempty"`
}

// hashOf names a token without revealing it.
func hashOf(token string) string {
	return tokenrefresh.LineageOf(&oauth2.Token{AccessToken: token})
}

// childConfig is what the environment says.
type childConfig struct {
	root, token     string
	interval, fence time.Duration
	store           string // the store's spec
}

func readChildConfig() (*childConfig, error) {
	cfg := &childConfig{
		root:  os.Getenv(envRoot),
		token: os.Getenv(envToken),
		store: os.Getenv(envStore),
	}
	var err error
	if cfg.interval, err = time.ParseDuration(os.Getenv(envInterval)); err != nil {
		return nil, fmt.Errorf("bad %s: %v", envInterval, err)
	}
	if v := os.Getenv(envFence); v != "" {
		if cfg.fence, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("bad %s: %v", envFence, err)
		}
	}
	if cfg.store == "" {
		return nil, fmt.Errorf("%s is not set", envStore)
	}
	return cfg, nil
}

// openStore returns the store the spec names, opened by open unless it
// is a file spec, and the function that releases it.
func (cfg *childConfig) openStore(open StoreOpener) (tokenrefresh.Store, func(), error) {
	if path, ok := strings.CutPrefix(cfg.store, fileSpecPrefix); ok {
		fs, err := tokenrefresh.NewFileStore(path)
		return fs, func() {}, err
	}
	if open == nil {
		return nil, nil, fmt.Errorf("no StoreOpener was given to fleettest.RunIfMember for the store %q", cfg.store)
	}
	return open(cfg.store)
}

// runChild runs one member of the fleet until its stdin closes, SIGTERM
// arrives, or childMaxLife passes, then reports, and returns the exit code.
func runChild(open StoreOpener) int {
	cfg, err := readChildConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleettest child:", err)
		return exitSetup
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, childMaxLife)
	defer cancel()
	go func() { // ends with the process
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	store, closeStore, err := cfg.openStore(open)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleettest child:", err)
		return exitSetup
	}
	defer closeStore()
	m := &member{out: json.NewEncoder(os.Stdout), rotated: make(chan struct{}, 1)}
	if err := m.start(ctx, cfg, store); err != nil {
		fmt.Fprintln(os.Stderr, "fleettest child:", err)
		return exitSetup
	}
	defer m.close()
	m.run(ctx)
	return exitOK
}

// member is a child's c2 client and its counts.
type member struct {
	client  *c2.Client
	wire    *wireCounter
	rotated chan struct{} // nudged by OnRotate; capacity 1

	mu  sync.Mutex // guards out
	out *json.Encoder

	// Owned by run's goroutine.
	rep  report
	hash string
	down bool
}

// emit writes one event line. Write errors (a parent gone) are ignored:
// the closed stdin stops the child.
func (m *member) emit(ev event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.out.Encode(ev)
}

func (m *member) start(ctx context.Context, cfg *childConfig, store tokenrefresh.Store) error {
	m.wire = &wireCounter{base: http.DefaultTransport.(*http.Transport).Clone(), m: m}
	c, err := c2.New(ctx, cfg.root, cfg.token,
		c2.WithStore(store),
		c2.WithRefreshInterval(cfg.interval),
		// Retries scaled to the interval, as the defaults are to 55 min.
		c2.WithRetry(cfg.interval/4, 3),
		c2.WithHTTPClient(&http.Client{Transport: m.wire}),
		c2.WithFence(cfg.fence),
		c2.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))),
		c2.WithOnRotate(func(_, _ *oauth2.Token) {
			select {
			case m.rotated <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		m.wire.base.CloseIdleConnections()
		return err
	}
	m.client = c
	return nil
}

func (m *member) close() {
	m.client.Close()
	m.wire.base.CloseIdleConnections()
}

// run calls the API every requestPeriod until ctx ends, reporting each
// change of token or of the store's availability, then sends the report.
// It is the only goroutine that emits token events, so they arrive in
// order.
func (m *member) run(ctx context.Context) {
	m.noteToken("ready")
	tick := time.NewTicker(requestPeriod)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			m.finish()
			return
		case <-m.rotated:
		case <-tick.C:
			m.request()
		}
		m.noteToken("token")
		m.noteStore()
	}
}

// request makes one API call and counts it. Its context is not the
// child's: a stop must not count as a failure.
func (m *member) request() {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	start := time.Now()
	_, err := m.client.Drivers.List(ctx)
	m.rep.Slowest = max(m.rep.Slowest, int64(time.Since(start)))
	m.rep.Requests++
	if err == nil {
		return
	}
	m.rep.Failures++
	if errors.Is(err, c2.ErrTokenRejected) {
		m.rep.Rejected++
	}
	if m.rep.Err == "" {
		m.rep.Err = err.Error()
	}
}

// noteToken emits an event of kind what if the token served changed.
func (m *member) noteToken(what string) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	tok, err := m.client.Token(ctx)
	if err != nil {
		return
	}
	if h := hashOf(tok.AccessToken); h != m.hash || what == "ready" {
		m.hash = h
		m.emit(event{Event: what, Hash: h})
	}
}

// noteStore emits an event when the store becomes unavailable or
// available again.
func (m *member) noteStore() {
	down := m.client.Status().StoreUnavailable
	if down == m.down {
		return
	}
	m.down = down
	if down {
		m.rep.Outages++
	}
	m.emit(event{Event: "store", Down: down})
}

// finish sends the report: the counts, and the token and health at the
// end, before the client is closed.
func (m *member) finish() {
	m.rep.API401, m.rep.Charon401 = m.wire.api401.Load(), m.wire.charon401.Load()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if tok, err := m.client.Token(ctx); err == nil {
		m.rep.Hash = hashOf(tok.AccessToken)
	}
	m.rep.Healthy = m.client.Status().Healthy
	if err := m.client.Err(); err != nil {
		m.rep.Lost, m.rep.Err = true, err.Error()
	}
	rep := m.rep
	m.emit(event{Event: "report", Report: &rep})
}

// wireCounter is the child's HTTP transport: it counts 401 answers as
// they come off the wire (a 401 the client replays after adopting a new
// token never reaches the caller) and announces each rotation before
// sending it.
type wireCounter struct {
	base      *http.Transport
	m         *member
	api401    atomic.Int64
	charon401 atomic.Int64
}

func (w *wireCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	rotation := req.Method == http.MethodPut && strings.HasPrefix(req.URL.Path, c2test.TokensPathPrefix)
	if rotation {
		w.m.emit(event{Event: "put"})
	}
	resp, err := w.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if rotation {
			w.charon401.Add(1)
		} else {
			w.api401.Add(1)
		}
	}
	return resp, err
}
