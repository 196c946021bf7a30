package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// run is the background loop: the only goroutine that refreshes. It exits
// when Close cancels r.ctx (once a RefreshFunc call in flight has
// returned and its token is saved).
func (r *Refresher) run() {
	defer close(r.done)
	if r.jumps.watching() {
		defer r.jumps.release()
	}
	defer func() {
		// Nobody clears a fresh mark after this: Token decides by the
		// clock from now on.
		if s := r.cur.Load(); s != nil {
			s.fresh.Store(0)
		}
	}()
	var t wakeTimer
	defer t.stop()
	for r.ctx.Err() == nil {
		r.renewMark()
		at, scheduled := r.freshWake(r.nextWake())
		if scheduled && !before(r.cfg.Clock.Now(), at) {
			t.stop()
			r.step()
			continue
		}
		t.set(r.cfg.Clock, at, scheduled)
		select {
		case <-r.ctx.Done():
			return
		case <-t.c:
			t.fired()
		case <-r.kick:
		case <-r.changed:
			r.coord.storeChanged()
		case <-r.jumps.jumpedChan():
			// The timer ran on the monotonic clock, which the wall clock
			// has jumped ahead of: plan again by both.
			t.stop()
		}
		r.step()
	}
}

// wakeTimer is the loop's timer. Setting it again to the same deadline
// keeps it running, so that a nudge that changes nothing does not move it.
type wakeTimer struct {
	c      <-chan time.Time // nil when not running
	at     time.Time
	cancel func() bool
}

// set makes t fire at at, or never if !scheduled.
func (t *wakeTimer) set(clk Clock, at time.Time, scheduled bool) {
	if t.c != nil && scheduled && at.Equal(t.at) {
		return
	}
	t.stop()
	if scheduled {
		t.c, t.cancel = clk.NewTimer(until(clk.Now(), at))
		t.at = at
	}
}

// fired records that t's channel delivered.
func (t *wakeTimer) fired() { t.c, t.cancel = nil, nil }

// stop stops t if it runs.
func (t *wakeTimer) stop() {
	if t.cancel != nil {
		t.cancel()
	}
	t.c, t.cancel = nil, nil
}

// nextWake returns when the loop has work next, and false if nothing is
// scheduled (it then sleeps until nudged).
func (r *Refresher) nextWake() (time.Time, bool) {
	now := r.cfg.Clock.Now()
	s := r.cur.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsaved != nil {
		return r.retryAt, true
	}
	if r.permErr != nil {
		return time.Time{}, false
	}
	var at time.Time
	switch {
	case !s.usable(now):
		at = now
	case s.refreshAt.IsZero():
		return time.Time{}, false
	default:
		at = s.refreshAt
	}
	if next := r.nextAttemptLocked(s, now); next.After(at) {
		at = next
	}
	return at, true
}

// nextAttemptLocked returns when the next attempt may run after a failure:
// at the end of the backoff, or while s is dead and callers wait for a
// new token, at the quick retry.
func (r *Refresher) nextAttemptLocked(s *state, now time.Time) time.Time {
	if quick := time.Unix(0, r.quickAt); r.waiters.Load() > 0 && !s.usable(now) && quick.Before(r.retryAt) {
		return quick
	}
	return r.retryAt
}

// step does whatever is due now: retry a failed save, or refresh.
func (r *Refresher) step() {
	now := r.cfg.Clock.Now()
	s := r.cur.Load()
	r.mu.Lock()
	backingOff := before(now, r.nextAttemptLocked(s, now))
	unsaved, perm := r.unsaved, r.permErr != nil
	r.mu.Unlock()
	if backingOff {
		return
	}
	if unsaved != nil {
		if cur := r.cur.Load(); r.retrySave(unsaved) || (cur.usable(now) && !cur.lastResort(now)) {
			return
		}
		// The store still refuses the token, which is about to die or
		// cannot be used (an unusable access token kept for its refresh
		// token): rotate it all the same rather than lose the lineage or
		// keep callers waiting; the store holds no live token anyway.
	}
	if !perm && r.cur.Load().due(now) {
		ctx, cancel := context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
		defer cancel()
		r.coord.refresh(ctx)
	}
}

// obtain runs one call of the RefreshFunc from the current token, checks
// what it returns, saves it and publishes it; a failure is recorded and
// retried. ctx bounds the attempt; if Close has ended it, nothing is
// called. The call itself runs until ctx's deadline, or CloseGrace after
// Close; the save runs on a context Close does not cancel.
func (r *Refresher) obtain(ctx context.Context) {
	start := r.cfg.Clock.Now()
	if err := ctx.Err(); err != nil {
		r.fail(start, fmt.Errorf("tokenrefresh: no time left for the refresh: %w", err))
		return
	}
	old := r.cur.Load()
	tok, err := r.call(ctx, old)
	now := r.cfg.Clock.Now()
	if err == nil {
		err = checkToken(tok, now, r.cfg.DPoP)
		if err != nil && r.keepRefreshToken(old, tok, err, start) {
			return
		}
	}
	if err != nil {
		if IsInDoubt(err) {
			r.saveDoubt(old)
		}
		r.fail(start, err)
		return
	}
	r.remember(tok)
	e := &Entry{Token: secret.New(tok), Obtained: now, Lineage: r.lineage}
	r.publish(old, e, r.saveDurably(e), start)
}

// call calls the RefreshFunc with old's token, on a context with ctx's
// deadline that Close cancels only CloseGrace after it has cancelled ctx.
func (r *Refresher) call(ctx context.Context, old *state) (*oauth2.Token, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(r.cfg.AttemptTimeout)
	}
	callCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), dl)
	r.mu.Lock()
	r.cancelCall, r.attempting = cancel, true
	if r.graceOver {
		cancel()
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cancelCall = nil
		r.mu.Unlock()
		cancel()
	}()
	var current *oauth2.Token
	if old != nil {
		current = old.tok
	}
	return r.cfg.Refresh(callCtx, current)
}

// keepRefreshToken handles an answer whose access token cannot be used
// (checkErr says why) but which carries a new refresh token: the old one
// may be dead, and the grant lives on in the new one. The answer is saved
// and published as unusable, so that callers wait and the next attempt,
// after the backoff of a failure, presents the new refresh token. A save
// that fails is retried as a published token's is (see retrySave). It
// reports whether it kept the answer.
func (r *Refresher) keepRefreshToken(old *state, tok *oauth2.Token, checkErr error, start time.Time) bool {
	if tok == nil || tok.AccessToken == "" || tok.RefreshToken == "" || (old != nil && old.tok.RefreshToken == tok.RefreshToken) {
		return false
	}
	r.remember(tok)
	e := &Entry{Token: secret.New(tok), Obtained: r.cfg.Clock.Now(), Lineage: r.lineage}
	if err := r.saveDurably(e); err != nil {
		r.cfg.Logger.Error("tokenrefresh: could not save a new refresh token that came with an unusable access token; retrying", "error", r.redacted(err))
		r.mu.Lock()
		r.unsaved = e
		r.mu.Unlock()
		r.storeFailed(err)
	}
	ns := r.newState(e)
	ns.unsendable = true
	r.swapIn(old, ns)
	r.fail(start, fmt.Errorf("%w: kept the new refresh token it came with, to get a usable one", checkErr))
	return true
}

// saveDoubt records in the store that the last attempt on old's token may
// have been applied, so that a restarted process still knows it.
func (r *Refresher) saveDoubt(old *state) {
	if old == nil || r.cfg.Store == nil {
		return
	}
	e := &Entry{Token: secret.New(old.tok), Obtained: old.obtained, Lineage: r.lineage, Due: old.agreed, InDoubt: true}
	if err := r.saveDurably(e); err != nil {
		r.cfg.Logger.Warn("tokenrefresh: could not record the refresh in doubt in the store", "error", r.redacted(err))
	}
}

// checkToken rejects what a RefreshFunc must not return: no token, one
// that cannot go into an Authorization header, one of a type this package
// cannot send, or one already expired. dpop says the source is configured
// for DPoP ([Config.DPoP]).
func checkToken(tok *oauth2.Token, now time.Time, dpop bool) error {
	if tok == nil || tok.AccessToken == "" {
		return errors.New("tokenrefresh: refresh returned no token")
	}
	if err := checkSendable(tok, dpop); err != nil {
		return err
	}
	if !tok.Expiry.IsZero() && !before(now, tok.Expiry) {
		return fmt.Errorf("tokenrefresh: refresh returned a token that expired at %v: check the clocks of this machine and the server", tok.Expiry.UTC())
	}
	return nil
}

// checkSendable reports why tok cannot be sent (RFC 6750 2.1, RFC 9449
// 7.1), or nil: its value or type holds a control character, which no
// header may carry (RFC 9110 5.5), or its type is neither Bearer nor, for
// a source configured for DPoP (dpop), DPoP.
func checkSendable(tok *oauth2.Token, dpop bool) error {
	switch {
	case strings.IndexFunc(tok.AccessToken, isControl) >= 0:
		return errors.New("tokenrefresh: refresh returned an access token with control characters (CR, LF, NUL or others), which cannot be sent in a header: the token server is broken; report it to its operators")
	case strings.IndexFunc(tok.TokenType, isControl) >= 0:
		return errors.New("tokenrefresh: refresh returned a token_type with control characters, which cannot be sent in a header: the token server is broken; report it to its operators")
	case strings.EqualFold(tok.TokenType, "DPoP") && !dpop:
		return errors.New(`tokenrefresh: refresh returned a DPoP-bound token (token_type "DPoP"), which needs a proof with each request, but the source is not configured for DPoP: give the grant a DPoP key (oauth.Settings.DPoP) and set Config.DPoP, or ask the server for Bearer tokens`)
	case strings.EqualFold(tok.TokenType, "DPoP"):
		return nil
	case tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "Bearer"):
		return fmt.Errorf("tokenrefresh: refresh returned a token of type %q, which this package cannot send: only Bearer tokens (RFC 6750), and DPoP tokens (RFC 9449) when Config.DPoP is set, are supported", tok.TokenType)
	}
	return nil
}

func isControl(c rune) bool { return c < ' ' || c == 0x7f }

// saveDurably writes e to the store, if there is one, on a context that
// Close does not cancel: e may hold the only live token.
func (r *Refresher) saveDurably(e *Entry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), min(saveTimeout, r.cfg.AttemptTimeout))
	defer cancel()
	return r.save(ctx, e)
}

// save writes e to the store, if there is one, and returns the error.
func (r *Refresher) save(ctx context.Context, e *Entry) error {
	if r.cfg.Store == nil {
		return nil
	}
	return r.cfg.Store.Save(ctx, e)
}

// swapIn publishes ns, whose token replaces old's. If the swap fails,
// Invalidate has marked old's token rejected meanwhile (only the loop
// publishes other tokens): ns replaces that state just the same.
func (r *Refresher) swapIn(old, ns *state) {
	for !r.cur.CompareAndSwap(old, ns) {
		old = r.cur.Load()
	}
}

// publish makes e the current token, records success (or the failed save,
// to be retried), and tells the Observer and OnRotate: Refreshed for a
// token this process obtained in an attempt that began at start, Adopted
// for one another process saved (start zero). A published token ends a
// permanent failure: in a fleet, it may have been a rotation that lost
// the race.
func (r *Refresher) publish(old *state, e *Entry, saveErr error, start time.Time) {
	ns := r.newState(e)
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	// Swapped under the lock, so that an Invalidate of the new token
	// (which takes it) sees the attempt ended.
	r.swapIn(old, ns)
	r.lastRefresh = now
	r.failures, r.lastErr, r.permErr, r.inDoubt = 0, nil, nil, false
	r.stopped.Store(r.ctx.Err() != nil)
	r.storeErr = saveErr
	r.setRetryAtLocked(time.Time{})
	r.unsaved = nil
	if saveErr != nil {
		r.unsaved = e
		r.lastErr = saveErr
		r.setRetryAtLocked(now.Add(r.cfg.RetryMin))
	}
	r.endAttemptLocked()
	r.mu.Unlock()

	if saveErr != nil {
		r.cfg.Logger.Error("tokenrefresh: new token is in memory only: saving it failed; retrying", "error", r.redacted(saveErr))
		r.observe(Event{Kind: StoreUnavailable, At: now, Err: r.redacted(saveErr)})
	}
	kind := Refreshed
	if start.IsZero() {
		kind = Adopted
		r.cfg.Logger.Info("tokenrefresh: adopted the token another process rotated")
	} else {
		r.cfg.Logger.Info("tokenrefresh: token refreshed", "expiry", e.Token.Reveal().Expiry, "next_refresh", ns.refreshAt)
	}
	r.observe(Event{Kind: kind, At: now, Start: start, Duration: durationSince(start, now), Expiry: e.Token.Reveal().Expiry})
	if r.cfg.OnRotate != nil {
		var prev *oauth2.Token
		if old != nil {
			prev = old.tok
		}
		r.cfg.OnRotate(prev, e.Token.Reveal())
	}
}

// durationSince returns now-start, or zero when start is unknown.
func durationSince(start, now time.Time) time.Duration {
	if start.IsZero() {
		return 0
	}
	return now.Sub(start)
}

// retrySave tries again to store a published token the store refused
// (under the store's lock if it has one), and reports whether the token
// is stored now, or no longer needs to be.
func (r *Refresher) retrySave(e *Entry) bool {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
	defer cancel()
	err := r.coord.saveAlone(ctx, e)
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	if r.unsaved != e {
		r.mu.Unlock()
		return true // a newer token replaced it meanwhile
	}
	if err != nil {
		r.failures++
		r.lastErr, r.storeErr = err, err
		wait, _ := r.retryDelaysLocked(0, now)
		r.setRetryAtLocked(now.Add(r.saveRetryCap(wait)))
		failures := r.failures
		r.mu.Unlock()
		r.cfg.Logger.Error("tokenrefresh: saving the token failed again", "error", r.redacted(err), "failures", failures)
		return false
	}
	r.unsaved, r.lastErr, r.storeErr, r.failures = nil, nil, nil, 0
	r.setRetryAtLocked(time.Time{})
	r.mu.Unlock()
	r.cfg.Logger.Info("tokenrefresh: token saved after earlier failures")
	r.observe(Event{Kind: StoreRecovered, At: now})
	return true
}

// fail records a failed attempt that began at start, and schedules the
// retry; a permanent failure closes Lost instead. A rejection after an
// attempt in doubt is reported as the lineage lost.
func (r *Refresher) fail(start time.Time, err error) {
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	r.failures++
	switch {
	case IsInDoubt(err):
		r.inDoubt = true
	case IsPermanent(err) && r.inDoubt:
		err = lineageLost(err)
	}
	r.lastErr = err
	perm := IsPermanent(err) && r.ctx.Err() == nil
	if perm {
		r.permErr = err
		r.stopped.Store(true)
	} else if r.ctx.Err() == nil {
		wait, quick := r.retryDelaysLocked(retryAfter(err), now)
		r.setRetryAtLocked(now.Add(wait))
		r.quickAt = now.Add(quick).UnixNano()
	}
	ev := Event{Kind: Failed, At: now, Start: start, Duration: durationSince(start, now), Retry: r.retryAt,
		Failures: r.failures, Err: redact.NewError(err, r.redact(err))}
	lostNow := perm && r.lostErr == nil
	if lostNow {
		r.lostErr = ev.Err
		if r.lost != nil {
			close(r.lost)
		}
	}
	r.endAttemptLocked()
	r.mu.Unlock()
	r.logFailure(ev, perm)
	r.observe(ev)
	if lostNow {
		r.observe(Event{Kind: Lost, At: now, Failures: ev.Failures, Err: ev.Err})
	}
}

// logFailure logs a failed attempt.
func (r *Refresher) logFailure(ev Event, perm bool) {
	if perm {
		r.cfg.Logger.Error("tokenrefresh: token refresh failed permanently; not retrying", "error", ev.Err)
		return
	}
	r.cfg.Logger.Warn("tokenrefresh: token refresh failed; retrying", "error", ev.Err, "failures", ev.Failures, "retry_at", ev.Retry)
}

// endAttemptLocked wakes the callers waiting for the attempt.
func (r *Refresher) endAttemptLocked() {
	r.attempting = false
	if r.attemptDone != nil {
		close(r.attemptDone)
		r.attemptDone = nil
	}
}

// setRetryAtLocked sets when the next attempt may run, and its lock-free
// mirror.
func (r *Refresher) setRetryAtLocked(t time.Time) {
	r.retryAt = t
	if t.IsZero() {
		r.backoffUntil.Store(0)
	} else {
		r.backoffUntil.Store(t.UnixNano())
	}
}
