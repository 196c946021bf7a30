package c2

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// userAgent names this package in C2's logs.
const userAgent = "bearer-go-c2"

// Client calls the C2 APIs with a token it keeps alive: it rotates the
// token through Charon in the background, stores each new one before using
// it, and authorizes every request with the current one.
//
// A Client is safe for concurrent use. Create one per token lineage, reuse
// it, and Close it when done; its zero value is not usable.
type Client struct {
	api      *bearer.Client // its exchange sends the rotations too
	tokens   *tokenrefresh.Refresher
	rot      *rotator
	now      func() time.Time
	issueURL string

	firstOnce sync.Once
	first     chan struct{} // closed when the Refresher reports its first new token

	// Services, one per C2 API.
	Drivers      *DriversService      // the Automated Piloting Framework's drivers
	Positions    *PositionsService    // platform positions
	Observations *ObservationsService // observation time series
	Plans        *PlansService        // the planner
	Logs         *LogsService         // the logging service
}

// service is what every service holds: the client that sends its
// requests.
type service struct{ client *Client }

// New returns a client for the C2 API at apiRoot (such as
// [ProductionAPIRoot]) that keeps token alive, and starts rotating it in
// the background: at once if its age is unknown (as for a token just
// copied from Charon), then every refresh interval. Bad input (an empty
// token, the notebooks' [Placeholder], a root that is not an absolute
// https URL) is refused before anything is sent.
//
// With a store (see [WithStoreFile]), New resumes from the stored token
// when it descends from token, since rotation killed token itself; ctx
// bounds that load only. New does not wait for the first rotation; see
// [Authenticate] for that.
func New(ctx context.Context, apiRoot, token string, opts ...Option) (*Client, error) {
	root, err := parseRoot(apiRoot, token)
	if err != nil {
		return nil, err
	}
	issueURL := root + issuePath
	if err := checkToken(token, issueURL); err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{issueURL: issueURL, first: make(chan struct{}), now: time.Now}
	if cfg.clock != nil {
		c.now = cfg.clock.Now
	}
	lin := &lineage{}
	if c.api, err = newAPI(root, lin, cfg); err != nil {
		return nil, err
	}
	c.rot = newRotator(root, lin.x, c.now, cfg)
	if c.tokens, err = c.newRefresher(ctx, token, cfg); err != nil {
		c.api.Close()
		return nil, fmt.Errorf("c2: %w", err)
	}
	lin.r = c.tokens
	c.Drivers = (*DriversService)(&service{c})
	c.Positions = (*PositionsService)(&service{c})
	c.Observations = (*ObservationsService)(&service{c})
	c.Plans = (*PlansService)(&service{c})
	c.Logs = (*LogsService)(&service{c})
	return c, nil
}

// newAPI builds the bearer.Client of the C2 APIs, whose token source is
// lin; building it binds its exchange to lin, for the rotations. Without
// WithHTTPClient it sends through a transport of its own, which Close
// releases.
func newAPI(root string, lin *lineage, cfg *config) (*bearer.Client, error) {
	opts := []bearer.Option{bearer.WithTokenSource(lin), bearer.WithLogger(cfg.logger), bearer.WithUserAgent(userAgent)}
	if cfg.hc != nil {
		opts = append(opts, bearer.WithHTTPClient(cfg.hc))
	}
	api, err := bearer.NewClient(root, opts...)
	if err != nil {
		return nil, fmt.Errorf("c2: %w", err)
	}
	return api, nil
}

// lineage is the token source of the client's bearer.Client: the
// Refresher's tokens. The bearer.Client binds its exchange to it when it
// is built, before the Refresher starts, so that the rotations go through
// the client's transport, rules and registry of secrets.
type lineage struct {
	x *httpx.Exchange         // set once, by bearer.NewClient
	r *tokenrefresh.Refresher // set once, before any request
}

func (l *lineage) BindExchange(x *httpx.Exchange) { l.x = x }

func (l *lineage) Token(ctx context.Context) (*oauth2.Token, error) { return l.r.Token(ctx) }

// Invalidate passes a 401 to the Refresher, so the bearer.Client replays.
func (l *lineage) Invalidate(rejected *oauth2.Token) { l.r.Invalidate(rejected) }

// newRefresher starts the Refresher that runs c.rot on cfg's schedule.
func (c *Client) newRefresher(ctx context.Context, token string, cfg *config) (*tokenrefresh.Refresher, error) {
	return tokenrefresh.New(ctx, tokenrefresh.Config{
		Refresh:  c.rot.refresh,
		Initial:  secret.New(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}),
		Interval: cfg.interval,
		Fence:    cfg.fence,
		MaxAge:   TokenLifetime,
		Backoff:  c.rot.backoff,
		RetryMax: c.rot.maxWait,
		Store:    cfg.store,
		OnRotate: cfg.onRotate,
		Observer: c.observer(cfg.observer),
		Logger:   cfg.logger,
		Clock:    cfg.clock,
	})
}

// observer returns the Refresher's Observer: it marks the first new token
// (rotated, or adopted from a shared store), then passes every event to
// the user's Observer, if any.
func (c *Client) observer(user tokenrefresh.Observer) tokenrefresh.Observer {
	return tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) {
		if e.Kind == tokenrefresh.Refreshed || e.Kind == tokenrefresh.Adopted && e.Retry.IsZero() {
			c.firstOnce.Do(func() { close(c.first) })
		}
		if user != nil {
			user.Observe(e)
		}
	})
}

// Authenticate is the notebooks' authenticate(api_root, token) done right:
// it starts a [Client] as [New] does and, if the token is due for rotation
// (as a token just copied from Charon is), waits until the first rotation
// has succeeded, so that a revoked token or a wrong root fails here rather
// than in the background. A rotation that fails for a while is retried
// until ctx ends: give ctx a deadline.
func Authenticate(ctx context.Context, apiRoot, token string, opts ...Option) (*Client, error) {
	c, err := New(ctx, apiRoot, token, opts...)
	if err != nil {
		return nil, err
	}
	if err := c.awaitRotation(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// awaitRotation waits for the first rotation if the token is due for one.
func (c *Client) awaitRotation(ctx context.Context) error {
	if st := c.tokens.Status(); st.NextRefresh.After(c.now()) && st.ConsecutiveFailures == 0 && !st.Permanent {
		return nil // rotated already, or resumed a stored token that is not due
	}
	select {
	case <-c.first:
		return nil
	case <-c.tokens.Lost():
		return c.tokens.Err()
	case <-ctx.Done():
		return fmt.Errorf("c2: the token was not rotated in time (%w); last error: %s", ctx.Err(), c.tokens.Status().LastError)
	}
}

// Lost returns a channel that is closed when the token can no longer be
// kept alive: Charon rejected it ([ErrTokenRejected]) or a rotation was
// lost ([ErrRotationLost]). No retry follows; a new token must be issued.
// A program that cannot work without C2 should stop then and say so; see
// [Client.Err].
func (c *Client) Lost() <-chan struct{} { return c.tokens.Lost() }

// Err returns why the token was lost, once [Client.Lost] is closed; nil
// before. Its message says where to issue a new token, and holds no token.
func (c *Client) Err() error { return c.tokens.Err() }

// Token returns the current token, for code that calls C2 by other means.
// It answers from memory while the token is valid. Do not log it.
func (c *Client) Token(ctx context.Context) (*oauth2.Token, error) {
	return c.tokens.Token(ctx)
}

// Invalidate tells the client that a server rejected rejected with a 401,
// as [bearer.Invalidator] asks: if it is still the current token, the
// client replaces it (with a shared store it reloads the store first,
// since another process has most likely rotated it). It makes a Client a
// token source for a bearer.Transport that replays a request once after
// a 401, as the Client's own requests do.
func (c *Client) Invalidate(rejected *oauth2.Token) { c.tokens.Invalidate(rejected) }

// Status reports whether the token is being kept alive: last and next
// rotation, consecutive failures, the last error (without token values),
// and whether the failure is permanent, in which case a new token must be
// issued.
func (c *Client) Status() tokenrefresh.Status { return c.tokens.Status() }

// Close stops the background rotation and waits for it to end; no
// goroutine of the client outlives it. It returns at once, cancelling a
// rotation that waits (for a shared store's lock, or a retry); a rotation
// in flight is given up to tokenrefresh.DefaultCloseGrace (5 s) to be
// answered, since Charon may have applied it and the answer holds the
// only copy of the new token, which is then saved to the store before
// Close returns. Close is idempotent. The current token
// is left alive on the server, and in the store, for the next run.
func (c *Client) Close() error {
	err := c.tokens.Close()
	c.api.Close()
	return err
}

// NewRequest builds a request for a C2 API path below the root, such as
// "/apf/drivers". A non-nil body is sent as JSON, or as is if it is an
// io.Reader or []byte. Send it with [Client.Do] or [Client.Stream].
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	return c.api.NewRequest(ctx, method, path, body)
}

// Do sends req with the current token and decodes the JSON answer into v
// (see bearer.Client.Do for v's other forms). Failed idempotent requests
// are retried; a POST or PATCH only if it never reached the server. A 403
// gives a [*PermissionError]; a 401 an error matching [ErrTokenRejected];
// other failures a *bearer.APIError or *bearer.RequestError.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	resp, err := c.api.Do(req, v)
	return resp, c.apiError(err)
}

// Stream sends req like [Client.Do] and returns the response with its
// body open, for the caller to read and close: for large answers.
func (c *Client) Stream(req *http.Request) (*http.Response, error) {
	resp, err := c.api.Stream(req)
	return resp, c.apiError(err)
}
