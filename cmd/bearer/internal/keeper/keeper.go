// Package keeper keeps the named tokens of bearer serve alive: it builds
// each token's source from its configuration (C2, the OAuth 2 grants,
// Climate Engine, a login API) on the SDK's public packages, opens its
// store, writes its token file, and reports its health.
package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// source is what every kind of source gives a Keeper: a c2.Client, a
// tokenrefresh.Refresher, or a login client's Refresher. Each sends its
// events to the Keeper's Observer.
type source interface {
	Token(ctx context.Context) (*oauth2.Token, error)
	Status() tokenrefresh.Status
	Lost() <-chan struct{}
}

// A Keeper keeps one named token alive. It is a bearer.TokenSource and,
// when its source can replace a rejected token, a bearer.Invalidator. It
// is safe for concurrent use; Close it when done.
type Keeper struct {
	name     string
	kind     string
	upstream *url.URL // where the proxy forwards; nil: nowhere
	// killsOld is true when a refresh kills the token it replaces (C2's
	// Charon): the token's useful life ends at the planned refresh.
	killsOld bool
	// deny lists path prefixes of the upstream the proxy must not reach
	// with the token, such as C2's Charon, whose answer would hold a
	// successor the Keeper never learns.
	deny []string

	src     source
	inv     bearer.Invalidator // nil when the source decides by itself
	closers []func() error     // run by Close, in order
	secrets *redact.Registry
	log     *slog.Logger

	ev        events        // the source's events, counted
	published atomic.Int64  // new tokens published, here or adopted from the store
	refreshed chan struct{} // signalled (capacity 1, never blocks) on each new token
	out       *tokenFile    // nil without Out

	closeOnce sync.Once
	closeErr  error
}

// Name returns the token's name.
func (k *Keeper) Name() string { return k.name }

// Kind returns the kind of its source, such as "c2".
func (k *Keeper) Kind() string { return k.kind }

// Upstream returns the base URL the proxy forwards to; nil if none.
func (k *Keeper) Upstream() *url.URL { return k.upstream }

// Denied reports whether the proxy must refuse path: a request there
// would make the upstream replace the token behind the Keeper's back.
func (k *Keeper) Denied(path string) bool {
	for _, p := range k.deny {
		if len(path) >= len(p) && path[:len(p)] == p {
			return true
		}
	}
	return false
}

// Token returns the current token. For a source with a fence it waits,
// within ctx, while the token is held back for its rotation.
func (k *Keeper) Token(ctx context.Context) (*oauth2.Token, error) {
	tok, err := k.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	k.secrets.Add(tok.AccessToken, tok.RefreshToken)
	return tok, nil
}

// Invalidate passes a 401 for rejected on to the source, if it replaces
// rejected tokens; a login API's source decides by the server's error
// codes instead, and ignores it.
func (k *Keeper) Invalidate(rejected *oauth2.Token) {
	if k.inv != nil {
		k.inv.Invalidate(rejected)
	}
}

// Lost returns the source's channel that is closed when the token is
// lost for good (revoked, refused credentials): only a person can fix it.
// It closes once; Status().Lost says whether the token is lost now,
// which a token adopted from the store (a bearer login) ends.
func (k *Keeper) Lost() <-chan struct{} { return k.src.Lost() }

// Published counts the new tokens published since the Keeper started,
// obtained here or adopted from the store.
func (k *Keeper) Published() int64 { return k.published.Load() }

// Refreshed returns a channel signalled after each new token; signals
// coalesce, so read [Keeper.Published] for the count.
func (k *Keeper) Refreshed() <-chan struct{} { return k.refreshed }

// rotated is the source's OnRotate: it remembers the token for redaction,
// writes the token file, counts the token and signals Refreshed.
func (k *Keeper) rotated(_, tok *oauth2.Token) {
	k.secrets.Add(tok.AccessToken, tok.RefreshToken)
	if k.out != nil {
		k.out.rotated(tok.AccessToken)
	}
	n := k.published.Add(1)
	k.log.Info("token refreshed", "refreshes", n, "fingerprint", Fingerprint(tok.AccessToken))
	select {
	case k.refreshed <- struct{}{}:
	default:
	}
}

// WriteInitial writes the token the Keeper holds to its token file, unless
// a refresh already wrote a newer one. It waits for a token within ctx.
func (k *Keeper) WriteInitial(ctx context.Context) error {
	if k.out == nil {
		return nil
	}
	tok, err := k.Token(ctx)
	if err != nil {
		return err
	}
	k.out.initial(tok.AccessToken)
	return nil
}

// Close stops keeping the token alive: a refresh already sent is given a
// few seconds to be answered and saved (see c2.Client.Close and
// tokenrefresh.Refresher.Close). It is idempotent.
func (k *Keeper) Close() error {
	k.closeOnce.Do(func() {
		var errs []error
		for _, c := range k.closers {
			errs = append(errs, c())
		}
		k.closeErr = errors.Join(errs...)
	})
	return k.closeErr
}

// Status is a Keeper's health, for /healthz, bearer status and /metrics.
// It holds no secret: LastError and StoreError have every token value and
// configured secret removed. Lost and the counts come from the source's
// events; the rest from its Status.
type Status struct {
	Name                string    `json:"name"`
	Source              string    `json:"source"`
	Healthy             bool      `json:"healthy"`
	Valid               bool      `json:"valid"`
	Lost                bool      `json:"lost"`
	Expiry              time.Time `json:"expiry,omitzero"`
	LastRefresh         time.Time `json:"last_refresh,omitzero"`
	NextRefresh         time.Time `json:"next_refresh,omitzero"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	LastError           string    `json:"last_error,omitempty"`
	StoreUnavailable    bool      `json:"store_unavailable,omitempty"`
	StoreError          string    `json:"store_error,omitempty"`
	Unsaved             bool      `json:"unsaved,omitempty"`
	Counts
}

// Status reports the token's health.
func (k *Keeper) Status() Status {
	st := k.src.Status()
	lost := k.ev.lost.Load() // a token adopted from the store after a loss clears it
	return Status{
		Name: k.name, Source: k.kind,
		Healthy: st.Healthy && !lost, Valid: st.Valid, Lost: lost,
		Expiry: st.Expiry, LastRefresh: st.LastRefresh, NextRefresh: st.NextRefresh,
		ConsecutiveFailures: st.ConsecutiveFailures,
		LastError:           k.secrets.Redact(st.LastError),
		StoreUnavailable:    st.StoreUnavailable,
		StoreError:          k.secrets.Redact(st.StoreError),
		Unsaved:             st.Unsaved,
		Counts:              k.ev.counts(),
	}
}

// UseUntil returns when tok stops being usable: its expiry or, for a
// source whose refresh kills the token it replaces, the planned refresh,
// whichever comes first; zero if neither is known.
func (k *Keeper) UseUntil(tok *oauth2.Token) time.Time {
	until := tok.Expiry
	if k.killsOld {
		if next := k.src.Status().NextRefresh; !next.IsZero() && (until.IsZero() || next.Before(until)) {
			until = next
		}
	}
	return until
}

// Fingerprint names a token in logs without revealing it: the first 8
// hex digits of its SHA-256, enough to tell which token each of several
// serve processes holds, useless for finding the token.
func Fingerprint(access string) string {
	sum := sha256.Sum256([]byte(access))
	return hex.EncodeToString(sum[:4])
}

// Redact removes every secret the Keeper knows from s.
func (k *Keeper) Redact(s string) string { return k.secrets.Redact(s) }

// Format prints the Keeper as keeper.Keeper{REDACTED}: it holds tokens.
func (k *Keeper) Format(f fmt.State, _ rune) { redact.Opaque(f, "keeper.Keeper") }
