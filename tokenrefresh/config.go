package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/bearer-go/bearer/internal/backoff"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// A RefreshFunc obtains the next token. current is the token in use, or nil
// when there is none yet (first start with no Initial token and an empty
// store). A rotating source (C2's Charon, a rotating refresh token) uses
// current and kills it; a fetching source (client credentials) ignores it.
//
// The Refresher calls it from one goroutine only, never twice at once, with
// a context that ends after [Config.AttemptTimeout], or [Config.CloseGrace]
// after [Refresher.Close]: a request already sent gets that long to be
// answered, and whatever it returns is saved before Close returns. Return
// an error marked with [Permanent] when retrying cannot help, one marked
// with [InDoubt] when the server may have applied a request whose answer
// was lost, and one with a method RetryAfter() time.Duration to honour a
// server's Retry-After.
//
// The token it returns is checked before it is used: an access token or
// token type that cannot go into an Authorization header (control
// characters), a type other than Bearer (or empty) or, with [Config.DPoP],
// DPoP, or an expiry already past is a failed attempt. If such an answer carries a new refresh token,
// it is saved, and the next attempt, a second later, uses it.
type RefreshFunc func(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error)

// A BackoffFunc returns the wait before the next attempt after failures
// consecutive failed attempts (failures >= 1); serverAsked is the delay
// the server asked for with Retry-After, or zero. See [Config.Backoff].
type BackoffFunc func(failures int, serverAsked time.Duration) time.Duration

// Defaults for the zero fields of a [Config].
const (
	// DefaultMaxEarlyWindow caps how long before expiry a token is
	// refreshed. Five minutes turns C2's one-hour token into a 55-minute
	// rotation, as its operators advise, and leaves room for several
	// retries before the token dies.
	DefaultMaxEarlyWindow = 5 * time.Minute

	// DefaultJitter is the largest fraction of the early window (or of the
	// interval) by which a refresh is brought forward at random: enough to
	// spread a fleet over tens of seconds, too little to matter to one
	// process.
	DefaultJitter = 0.1

	// DefaultRetryMin is the first retry delay after a failed refresh.
	DefaultRetryMin = time.Second

	// DefaultRetryMax caps the retry delay, so a refresh that fails during
	// an outage is tried again soon after the outage ends.
	DefaultRetryMax = 2 * time.Minute

	// DefaultAttemptTimeout bounds one call of the RefreshFunc: a token
	// endpoint that has not answered in 30 s is not going to.
	DefaultAttemptTimeout = 30 * time.Second

	// DefaultCloseGrace is how long Close lets a RefreshFunc call in
	// flight finish: its answer may hold the only copy of a rotated token.
	// Token servers answer in well under a second; five seconds cover a
	// slow network without making shutdown slow.
	DefaultCloseGrace = 5 * time.Second
)

// deadRetryInterval is the wait between attempts while the token is dead
// and callers wait for a new one, when the server asked for no other: the
// first caller gets a token about a second after the token server is
// back, and a dead token costs about one token call a second.
const deadRetryInterval = time.Second

// saveTimeout bounds the save of a token a refresh returned. The save
// runs on a context Close does not cancel, since the token may be the
// only live one; a store that has not taken a few hundred bytes in ten
// seconds is down, and the token is then reported unsaved.
const saveTimeout = 10 * time.Second

// Config says how a [Refresher] keeps a token alive. Only Refresh is
// required; the zero value of every other field has a documented default.
type Config struct {
	// Refresh obtains the next token. Required.
	Refresh RefreshFunc

	// Initial is the token to start from. Optional: without it the
	// Refresher resumes from Store, or else calls Refresh(ctx, nil). If
	// Store holds an entry of the same lineage (see [Entry.Lineage]) the
	// stored token wins, since rotation has killed Initial. A
	// [secret.Token], so a Config prints it as REDACTED however it is
	// printed: secret.New(&oauth2.Token{AccessToken: tok}).
	Initial secret.Token

	// Interval, when positive, rotates the token on a fixed interval
	// counted from when it was obtained: for tokens the server gives no
	// expiry (C2: 55 minutes). Zero refreshes before the token's expiry.
	Interval time.Duration

	// MaxAge is how long after it was obtained a token without an expiry
	// is sure to stay valid (C2: an hour, since a token dies an hour after
	// its last use, and it is used when it is issued). Optional. It does
	// not change the schedule; with a shared store ([Locker]) it tells
	// when such a token is about to die, so that the Refresher rotates it
	// even without the store's lock: in the last tenth of MaxAge, at most
	// the last two minutes. Zero means unknown: a token without an expiry
	// is then never rotated without the lock.
	MaxAge time.Duration

	// EarlyWindow is how long before expiry to refresh. Zero means a
	// quarter of the token's lifetime, at most DefaultMaxEarlyWindow.
	EarlyWindow time.Duration

	// Jitter is the largest fraction of the early window (or of Interval)
	// by which a refresh is brought forward at random. Zero means
	// DefaultJitter; a negative value disables jitter.
	Jitter float64

	// Fence, when positive, holds callers back from a token about to be
	// rotated, so that no request carries a token the rotation has
	// killed: for sources whose rotation kills the old token at once
	// (C2's Charon, rotating refresh tokens) shared by a fleet. From
	// Fence before the planned rotation, [Refresher.Token] waits (each
	// caller within its own context) for the new token instead of
	// returning the old one, until at most Fence after the planned time.
	// Then, or as soon as a failed attempt puts the next one more than
	// Fence away, the old token is served again: callers are held at most
	// 2*Fence per planned rotation. Requests sent before the fence have
	// Fence to reach the server. The jitter is drawn from the token
	// itself, so every process that shares the lineage plans the same
	// moment and holds its callers together; their clocks must agree to
	// well within Fence. A retry after the fence is not held for, unless
	// the store is a [Locker]: then an overdue rotation is planned anew,
	// 2*Fence ahead, in the store (see [Entry.Due]), and held for like a
	// planned one, so during an outage of the token server each retry
	// holds callers for about Fence. A token of unknown age (no
	// Obtained) is due at once and may be being rotated by another
	// process: callers wait for its first attempt, at most
	// AttemptTimeout.
	//
	// Zero, the default, never holds a caller while the token is valid:
	// a request in flight at the moment of the rotation, or from another
	// process that has not yet learnt of it, is answered 401 and replayed
	// once with the new token by bearer.Transport (when its body can be
	// sent again). A fence of a second or two costs callers that long
	// once per rotation (C2: once in 55 minutes) and spares them the 401
	// and its replay. It must be below half of Interval.
	Fence time.Duration

	// RetryMin and RetryMax bound the default backoff between failed
	// attempts (see Backoff). RetryMax also caps a server's Retry-After
	// while the token is dead and callers wait. Zero means DefaultRetryMin
	// and DefaultRetryMax.
	RetryMin, RetryMax time.Duration

	// Backoff returns the wait before the next attempt after a failed one,
	// while the current token is still valid. Optional: nil means capped
	// exponential backoff from RetryMin to RetryMax with equal jitter, at
	// least what the server asked for (capped at RetryMax). Whatever it
	// returns, a token that is valid until a known time is retried early
	// enough to try again before it dies (at most half the time it has
	// left, at least RetryMin), and once the token is dead and callers
	// wait, attempts come every second, or as often as the server's
	// Retry-After allows (capped at RetryMax).
	Backoff BackoffFunc

	// AttemptTimeout bounds one call of Refresh. Zero means
	// DefaultAttemptTimeout.
	AttemptTimeout time.Duration

	// CloseGrace is how long Close lets a call of Refresh already in
	// flight finish before it cancels its context; what it returns is
	// then saved and published. Zero means DefaultCloseGrace.
	CloseGrace time.Duration

	// DPoP says the source is configured for DPoP (RFC 9449): its token
	// requests carry proofs of a key, and the tokens it returns may be
	// bound to that key (token_type DPoP). Such tokens are accepted only
	// when it is set, since they are useless without the key: the client
	// that sends them needs it too (bearer.WithDPoP). oauth.NewRefresher
	// sets it for a grant whose Settings.DPoP is set. A Bearer token is
	// accepted either way: a server may decline to bind a token.
	DPoP bool

	// Store persists each new token before it is used. Optional: nil keeps
	// the token in memory only.
	Store Store

	// OnRotate, if set, is called from the background goroutine after a new
	// token is published; old is nil for the first token. It must not
	// block for long.
	OnRotate func(old, new *oauth2.Token)

	// Observer receives every event of the Refresher (see [Event]): for
	// metrics, traces, logs and tests. Optional.
	Observer Observer

	// Logger receives rotations and failures, with secrets redacted.
	// Optional: nil logs nothing.
	Logger *slog.Logger

	// Clock is the source of time and timers. Optional: nil is the system
	// clock.
	Clock Clock

	// Rand draws jitter. Optional: nil uses a randomly seeded source.
	Rand *rand.Rand
}

func (c *Config) validate() error {
	switch {
	case c.Refresh == nil:
		return errors.New("tokenrefresh: Config.Refresh is required")
	case c.Interval < 0:
		return fmt.Errorf("tokenrefresh: Config.Interval is %v: it must be positive, or zero to refresh before expiry", c.Interval)
	case c.EarlyWindow < 0, c.RetryMin < 0, c.RetryMax < 0, c.AttemptTimeout < 0, c.MaxAge < 0, c.Fence < 0, c.CloseGrace < 0:
		return errors.New("tokenrefresh: Config durations must not be negative")
	case c.Jitter >= 1:
		return fmt.Errorf("tokenrefresh: Config.Jitter is %v: it must be below 1", c.Jitter)
	case c.RetryMax != 0 && c.RetryMin > c.RetryMax:
		return fmt.Errorf("tokenrefresh: Config.RetryMin (%v) is above RetryMax (%v)", c.RetryMin, c.RetryMax)
	case c.MaxAge > 0 && c.Interval >= c.MaxAge:
		return fmt.Errorf("tokenrefresh: Config.Interval (%v) is not below MaxAge (%v): tokens would die before they are rotated", c.Interval, c.MaxAge)
	case c.Interval > 0 && c.Fence >= c.Interval/2:
		return fmt.Errorf("tokenrefresh: Config.Fence (%v) is not below half of Interval (%v): callers would be held back most of the time", c.Fence, c.Interval)
	case !c.Initial.IsZero() && c.Initial.Reveal().AccessToken == "":
		return errors.New("tokenrefresh: Config.Initial has an empty AccessToken: leave Initial unset to start without a token")
	}
	return nil
}

// withDefaults returns a copy of c with the zero fields filled in.
func (c Config) withDefaults() Config {
	if c.Jitter == 0 {
		c.Jitter = DefaultJitter
	} else if c.Jitter < 0 {
		c.Jitter = 0
	}
	if c.RetryMin == 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = max(DefaultRetryMax, c.RetryMin)
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.CloseGrace == 0 {
		c.CloseGrace = DefaultCloseGrace
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return c
}

// backoff returns the wait after failures consecutive failures: by
// c.Backoff, or by default capped exponential backoff with equal jitter,
// at least what the server asked for. The default draws from c.Rand, so
// it must be called with the Refresher's mutex held.
func (c *Config) backoff(failures int, serverAsked time.Duration) time.Duration {
	if c.Backoff != nil {
		return c.Backoff(failures, serverAsked)
	}
	d := backoff.Exponential(c.RetryMin, c.RetryMax, failures, c.Rand)
	if serverAsked > d {
		d = min(serverAsked, c.RetryMax)
	}
	return d
}
