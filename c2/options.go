package c2

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// API roots of the C2 services.
const (
	// ProductionAPIRoot is the C2 API that piloting algorithms use.
	ProductionAPIRoot = "https://api.c2.noc.ac.uk"
	// TestAPIRoot is C2's test environment.
	TestAPIRoot = "https://api-test.c2.noc.ac.uk"
)

// Defaults of a [Client]; each can be changed with an [Option].
const (
	// TokenLifetime is how long C2 keeps an unused token alive: "tokens
	// remain active 1 hour after their last use". A rotation must come
	// sooner.
	TokenLifetime = time.Hour

	// DefaultRefreshInterval is how often the token is rotated: the 55
	// minutes C2's operators advise, which leaves five minutes of an idle
	// token's hour for retries.
	DefaultRefreshInterval = 55 * time.Minute

	// DefaultRetryInterval is the wait after a failed rotation before the
	// next attempt: the seed's 60 s, so five attempts fit in the five
	// minutes an idle token has left.
	DefaultRetryInterval = time.Minute

	// DefaultRetryAttempts is how many retries are made DefaultRetryInterval
	// apart after a failed rotation, as the seed made, before the waits
	// start to double (see [WithRetry]).
	DefaultRetryAttempts = 3

	// MaxRetryWait caps the doubling wait between retries: an outage of
	// hours costs twelve attempts an hour, and rotation resumes within five
	// minutes of the server's recovery.
	MaxRetryWait = 5 * time.Minute
)

// An Option configures a [Client] in [New] and [Authenticate].
type Option func(*config) error

// config is what the options set.
type config struct {
	store         tokenrefresh.Store
	interval      time.Duration
	fence         time.Duration
	retryInterval time.Duration
	retryAttempts int
	hc            *http.Client
	logger        *slog.Logger
	clock         tokenrefresh.Clock
	onRotate      func(old, new *oauth2.Token)
	observer      tokenrefresh.Observer
}

func newConfig(opts []Option) (*config, error) {
	cfg := &config{
		interval:      DefaultRefreshInterval,
		retryInterval: DefaultRetryInterval,
		retryAttempts: DefaultRetryAttempts,
	}
	for _, opt := range opts {
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.fence >= cfg.interval/2 {
		return nil, fmt.Errorf("c2: WithFence(%v) is not below half of the refresh interval (%v): requests would be held back most of the time", cfg.fence, cfg.interval)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// WithStore persists every new token in s before it is used, so a
// restarted program resumes from the latest token instead of the one its
// first rotation killed. Without a store the token lives in memory only.
func WithStore(s tokenrefresh.Store) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("c2: WithStore(nil): pass a tokenrefresh.Store, or omit the option to keep the token in memory")
		}
		c.store = s
		return nil
	}
}

// WithStoreFile persists every new token in the file at path (JSON, mode
// 0600, written atomically; see tokenrefresh.FileStore). The file need not
// exist; its directory must. Keep the file out of code repositories.
func WithStoreFile(path string) Option {
	return func(c *config) error {
		fs, err := tokenrefresh.NewFileStore(path)
		if err != nil {
			return fmt.Errorf("c2: WithStoreFile: %w", err)
		}
		c.store = fs
		return nil
	}
}

// WithRefreshInterval sets how often the token is rotated, counted from
// when it was obtained. It must be positive and below [TokenLifetime]; the
// default is [DefaultRefreshInterval].
func WithRefreshInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d >= TokenLifetime {
			return fmt.Errorf("c2: WithRefreshInterval(%v): it must be positive and below %v, after which an unused token dies", d, TokenLifetime)
		}
		c.interval = d
		return nil
	}
}

// WithFence holds requests back from the token for d before each planned
// rotation, until the new token is in (at most d after the planned
// moment), so that no request carries the token Charon is about to kill.
// It is meant for fleets sharing one token through a store (see
// [WithStore]): every member plans the same moment and holds its requests
// together. Without it (d = 0, the default) requests never wait for a
// valid token; those in flight at the rotation, or sent by members that
// have not yet learnt of it, are answered 401 and replayed once with the
// new token, and a request whose body cannot be read again then fails
// with [ErrTokenRejected]. A fence of a second or two costs requests that
// long once per rotation; a token just copied from Charon, whose age is
// unknown, is rotated at once, and requests wait for that first rotation.
// d must be below half the refresh interval; see tokenrefresh.Config.Fence.
func WithFence(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("c2: WithFence(%v): it must not be negative; 0 turns the fence off", d)
		}
		c.fence = d
		return nil
	}
}

// WithRetry sets how a failed rotation is retried: attempts retries,
// interval apart (the seed's 60 s and 3 by default). The client never
// gives up on a rotation that may still succeed, as the seed did until its
// next 55-minute tick, by which time an idle token had died: after those
// retries it keeps trying, doubling the wait up to [MaxRetryWait] (or
// interval, if longer). A longer Retry-After from the server is honoured
// up to the same cap. Within the hour an idle token is sure to live, the
// waits shrink to half the time it has left (but not below
// a second), so its last minutes get the most attempts. The
// current token is served all the while; a token in use stays alive
// through an outage, since C2 counts its hour from the last use.
func WithRetry(interval time.Duration, attempts int) Option {
	return func(c *config) error {
		if interval <= 0 || attempts < 1 {
			return fmt.Errorf("c2: WithRetry(%v, %d): need a positive interval and at least one attempt", interval, attempts)
		}
		c.retryInterval, c.retryAttempts = interval, attempts
		return nil
	}
}

// WithHTTPClient sends every request, rotations included, through hc's
// Transport, keeping its Timeout. The client does not modify hc, and
// [Client.Close] does not close its connections. A transport of your own
// is not checked when it connects, so plain http then goes only to
// loopback IP literals such as 127.0.0.1; the client's own transport
// checks where each plain-http connection goes.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("c2: WithHTTPClient(nil): pass an *http.Client, or omit the option")
		}
		c.hc = hc
		return nil
	}
}

// WithLogger logs rotations, failed attempts and retried requests, never a
// token. Without it the client is silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("c2: WithLogger(nil): omit the option to log nothing")
		}
		c.logger = l
		return nil
	}
}

// WithClock makes the client read the time and wait on timers through
// clk: tests pass a fake clock to drive days of rotations in milliseconds.
func WithClock(clk tokenrefresh.Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return errors.New("c2: WithClock(nil): omit the option to use the system clock")
		}
		c.clock = clk
		return nil
	}
}

// WithOnRotate calls f from the background goroutine after each rotation,
// once the new token is stored: old is the token the rotation killed. f
// must not block for long, and must keep the tokens secret.
func WithOnRotate(f func(old, new *oauth2.Token)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("c2: WithOnRotate(nil): pass a function, or omit the option")
		}
		c.onRotate = f
		return nil
	}
}

// WithObserver passes every event of the token's Refresher (rotations,
// failures, the token lost, the store unavailable, callers held by the
// fence) to o: for metrics, traces and logs. See tokenrefresh.Event; no
// event carries a token.
func WithObserver(o tokenrefresh.Observer) Option {
	return func(c *config) error {
		if o == nil {
			return errors.New("c2: WithObserver(nil): pass an Observer, or omit the option")
		}
		c.observer = o
		return nil
	}
}
