package c2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// Paths of Charon, C2's token service, below the API root.
const (
	tokensPath = "charon/tokens/" // + token: PUT rotates it
	issuePath  = "/charon/tokens/issue"
)

// rotator is the Charon rotation as a tokenrefresh.RefreshFunc: PUT
// {root}/charon/tokens/{token}, with the same token as bearer, answers
// {"payload": "<new token>"} and kills the old token.
type rotator struct {
	api      *bearer.Client // no retries; its source is current, which cannot be invalidated
	current  atomic.Pointer[oauth2.Token]
	issueURL string
	logger   *slog.Logger

	retryInterval time.Duration
	retryAttempts int
	maxWait       time.Duration

	// The Refresher calls refresh from its loop only, one call at a time,
	// so these need no lock.
	failures int  // consecutive failed attempts
	inDoubt  bool // a rotation may have been applied without its answer reaching us

	permOnce sync.Once
	perm     chan struct{} // closed on a permanent failure, after permErr is set
	permErr  error
}

func newRotator(root string, hc *http.Client, cfg *config) (*rotator, error) {
	r := &rotator{
		issueURL:      root + issuePath,
		logger:        cfg.logger,
		retryInterval: cfg.retryInterval,
		retryAttempts: cfg.retryAttempts,
		maxWait:       max(MaxRetryWait, cfg.retryInterval),
		perm:          make(chan struct{}),
	}
	// One attempt per call: the Refresher owns retries, and a PUT that
	// reached Charon must never be sent again blindly. The source is a
	// plain function, not an Invalidator, so a 401 is never replayed.
	api, err := bearer.NewClient(root,
		bearer.WithTokenSource(bearer.TokenSourceFunc(r.token)),
		bearer.WithRetryMax(0),
		bearer.WithHTTPClient(hc),
		bearer.WithLogger(cfg.logger),
		bearer.WithUserAgent(userAgent))
	if err != nil {
		return nil, fmt.Errorf("c2: %w", err)
	}
	r.api = api
	return r, nil
}

// token is the source of r.api: the token being rotated.
func (r *rotator) token(context.Context) (*oauth2.Token, error) {
	if t := r.current.Load(); t != nil {
		return t, nil
	}
	return nil, errors.New("c2: no token to rotate")
}

// refresh is the RefreshFunc: it rotates current and returns its successor.
func (r *rotator) refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	if current == nil || current.AccessToken == "" {
		return nil, r.permanent(&rotationError{msg: "c2: no token to rotate: issue one at " + r.issueURL,
			sentinel: ErrTokenRejected, err: errors.New("no token")})
	}
	next, err := r.rotate(ctx, current.AccessToken)
	if err != nil {
		return nil, r.failed(err, current.AccessToken)
	}
	r.failures, r.inDoubt = 0, false
	return next, nil
}

// finishGrace bounds how long Close waits for the answer to a rotation
// that was already sent: the answer holds the only copy of the new token.
// Charon answers in well under a second; five seconds cover a slow
// network without making shutdown slow.
const finishGrace = 5 * time.Second

// rotate sends one PUT. It sets r.inDoubt when the request may have been
// applied without its answer reaching us.
func (r *rotator) rotate(ctx context.Context, token string) (*oauth2.Token, error) {
	r.current.Store(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
	defer r.current.Store(nil)
	var sent atomic.Bool
	ctx, done := sendContext(ctx, &sent)
	defer done()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { sent.Store(true) },
	})
	req, err := r.api.NewRequest(ctx, http.MethodPut, tokensPath+url.PathEscape(token), nil)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Payload string `json:"payload"`
	}
	_, err = r.api.Do(req, &answer)
	var ae *bearer.APIError
	switch {
	case err == nil && checkPayload(answer.Payload) == nil:
		return &oauth2.Token{AccessToken: answer.Payload, TokenType: "Bearer"}, nil
	case err == nil:
		r.inDoubt = true // Charon rotated, but we cannot read the new token
		return nil, fmt.Errorf("c2: Charon answered the rotation without a usable token: %w", checkPayload(answer.Payload))
	case errors.As(err, &ae):
		// A gateway's 502 or 504 may hide a rotation Charon applied.
		r.inDoubt = r.inDoubt || ae.StatusCode == http.StatusBadGateway || ae.StatusCode == http.StatusGatewayTimeout
	case sent.Load():
		// A connection was had, so the request may have gone out, and
		// then timed out or been cut: it may have been applied.
		r.inDoubt = true
	}
	return nil, err
}

// sendContext returns the context to send a rotation with, and the
// function that releases it. It keeps ctx's values and deadline. When ctx
// is cancelled (the client is closing), it ends at once if the request has
// no connection yet (sent is false), and otherwise finishGrace later, so
// that the answer to a rotation Charon may have applied is not thrown away.
func sendContext(ctx context.Context, sent *atomic.Bool) (context.Context, func()) {
	var send context.Context
	var cancel context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		send, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
	} else {
		send, cancel = context.WithCancel(context.WithoutCancel(ctx))
	}
	var mu sync.Mutex // guards grace
	var grace *time.Timer
	stop := context.AfterFunc(ctx, func() {
		if !sent.Load() {
			cancel()
			return
		}
		mu.Lock()
		grace = time.AfterFunc(finishGrace, cancel)
		mu.Unlock()
	})
	return send, func() {
		stop()
		mu.Lock()
		if grace != nil {
			grace.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// checkPayload refuses what cannot be the new token.
func checkPayload(p string) error {
	switch {
	case p == "":
		return errors.New("no payload")
	case len(p) > maxTokenLen || strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		return errors.New("the payload is not a token: it is too long, or not all printable ASCII")
	}
	return nil
}

// failed turns a failed attempt into the error the Refresher acts on: a
// 401 is permanent (ErrRotationLost if an earlier attempt was in doubt);
// anything else is retried after r.wait.
func (r *rotator) failed(err error, token string) error {
	msg := redact.String(err.Error(), token)
	var ae *bearer.APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
		if r.inDoubt {
			return r.permanent(&rotationError{sentinel: ErrRotationLost, err: err, msg: fmt.Sprintf(
				"c2: token rotation lost: an earlier rotation reached Charon but its answer, the new token, never came back, "+
					"and Charon now rejects the old token (%s): issue a new token at %s", msg, r.issueURL)})
		}
		return r.permanent(&rotationError{sentinel: ErrTokenRejected, err: err, msg: fmt.Sprintf(
			"c2: Charon rejected the token, which was revoked or has expired (%s): issue a new token at %s", msg, r.issueURL)})
	}
	r.failures++
	var serverAsked time.Duration
	if ae != nil {
		serverAsked = ae.RetryAfter
	}
	wait := r.wait(r.failures, serverAsked)
	if r.failures == r.retryAttempts+1 {
		r.logger.Error("c2: token rotation keeps failing; the current token is kept and the rotation retried with growing waits",
			"failures", r.failures, "next_wait", wait, "error", msg)
	}
	return &rotationError{msg: "c2: rotate the token: " + msg, err: err, wait: wait}
}

// wait returns the wait after the n-th consecutive failure: the retry
// interval for the first retryAttempts, then doubling up to maxWait; at
// least what the server asked for, up to maxWait.
func (r *rotator) wait(n int, serverAsked time.Duration) time.Duration {
	d := r.retryInterval
	for i := r.retryAttempts; i < n && d < r.maxWait; i++ {
		d *= 2
	}
	return min(max(d, serverAsked), r.maxWait)
}

// refresherRetryMin is the RetryMin to give the Refresher so that its own
// backoff, min·2^(n-1) with jitter below it, never exceeds r.wait(n): the
// RetryAfter of our errors then sets every wait exactly.
func (r *rotator) refresherRetryMin() time.Duration {
	shift := min(r.retryAttempts-1, 62)
	return max(r.retryInterval>>shift, time.Nanosecond)
}

// permanent records err as the end of the lineage and marks it for the
// Refresher.
func (r *rotator) permanent(err error) error {
	r.permOnce.Do(func() {
		r.permErr = err
		close(r.perm)
	})
	return tokenrefresh.Permanent(err)
}
