package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/backoff"
	"golang.org/x/oauth2"
)

// A logout the server failed (no answer, or a 408, 429 or 5xx: seed 004
// answers 503 "service unavailable" while its Redis is down) is tried
// again after LogoutRetryMin, doubling up to LogoutRetryMax, or after the
// server's Retry-After if longer, while the logout's context has time:
// Close's [DefaultLogoutTimeout] holds four tries or more. A second is
// enough for a restarting server or a Redis failover; four keep several
// tries within Close's ten seconds.
const (
	LogoutRetryMin = time.Second
	LogoutRetryMax = 4 * time.Second
)

// logout sends the Logout request with tok, and again after failures that
// may pass, while ctx has time.
func (t *tokens) logout(ctx context.Context, tok *oauth2.Token) error {
	for attempt := 1; ; attempt++ {
		err := t.logoutOnce(ctx, tok)
		if err == nil {
			t.logger.Info("login: logged out", "attempts", attempt)
			return nil
		}
		e := newError("logout", err)
		switch {
		case ctx.Err() != nil:
			return e.gaveUp(attempt, "the logout's context ended")
		case !e.temporary():
			return e.finalLogout(attempt)
		}
		wait := max(backoff.Exponential(LogoutRetryMin, LogoutRetryMax, attempt, nil), e.RetryAfter())
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return e.gaveUp(attempt, "the next would start after the logout's deadline")
		}
		t.logger.Warn("login: logout failed; trying again", "error", e.Error(), "attempt", attempt, "wait", wait)
		fired, stop := t.timer(wait)
		select {
		case <-fired:
		case <-ctx.Done():
			stop()
			return e.gaveUp(attempt, "the logout's context ended")
		}
	}
}

// logoutOnce sends the Logout request with tok once.
func (t *tokens) logoutOnce(ctx context.Context, tok *oauth2.Token) error {
	req, err := t.tokenRequest(ctx, t.cfg.Logout, tok)
	if err != nil {
		return &Error{Op: "logout", Err: err, final: true, advice: "check TokenConfig.Logout"}
	}
	_, err = send(t.x, req, t.now())
	return err
}

// timer returns a timer on the client's clock: the Refresher's, or the
// system's.
func (t *tokens) timer(d time.Duration) (<-chan time.Time, func() bool) {
	if c := t.cfg.Refresher.Clock; c != nil {
		return c.NewTimer(d)
	}
	tm := time.NewTimer(d)
	return tm.C, tm.Stop
}

// temporary reports whether e may pass: no answer came, or the answer is
// a 408, 429 or 5xx other than 501.
func (e *Error) temporary() bool {
	var re *bearer.RequestError
	switch {
	case e.final || e.kind != nil:
		return false
	case e.Response != nil:
		return e.Response.Temporary()
	}
	return errors.As(e.Err, &re)
}

// finalLogout describes a logout that is not tried again after attempt
// tries: an answer retrying cannot change.
func (e *Error) finalLogout(attempt int) *Error {
	if e.advice != "" {
		return e
	}
	switch {
	case attempt > 1 && e.Response != nil:
		e.advice = fmt.Sprintf("answered so on try %d, after failures: an earlier try may have been applied; the tokens may stay valid on the server until they expire", attempt)
	default:
		e.advice = "the tokens may stay valid on the server until they expire"
	}
	return e
}

// gaveUp says that the logout failed attempt times and is not tried
// again, and why.
func (e *Error) gaveUp(attempt int, why string) *Error {
	e.advice = fmt.Sprintf("not logged out: %d tries failed and %s, so it is not tried again; the tokens stay valid on the server until they expire", attempt, why)
	return e
}
