package c2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/backoff"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/internal/sendtrace"
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

	retryInterval time.Duration
	retryAttempts int
	maxWait       time.Duration
}

func newRotator(root string, hc *http.Client, cfg *config) (*rotator, error) {
	r := &rotator{
		issueURL:      root + issuePath,
		retryInterval: cfg.retryInterval,
		retryAttempts: cfg.retryAttempts,
		maxWait:       max(MaxRetryWait, cfg.retryInterval),
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

// refresh is the RefreshFunc: it rotates current and returns its
// successor. A rotation Charon may have applied without its answer
// reaching us is marked tokenrefresh.InDoubt; a 401 is permanent (the
// Refresher reports it as ErrRotationLost after a rotation in doubt).
func (r *rotator) refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	if current == nil || current.AccessToken == "" {
		return nil, tokenrefresh.Permanent(&rotationError{msg: "c2: no token to rotate: issue one at " + r.issueURL,
			sentinel: ErrTokenRejected, err: errors.New("no token")})
	}
	next, inDoubt, err := r.rotate(ctx, current.AccessToken)
	if err != nil {
		err = r.failed(err, current.AccessToken)
		if inDoubt {
			err = tokenrefresh.InDoubt(err)
		}
		return nil, err
	}
	return next, nil
}

// rotate sends one PUT, and reports whether a failure leaves the rotation
// in doubt: Charon may have applied it (the request may have been sent,
// and then the connection dropped or timed out, or an answer came back
// 5xx, or a 2xx without a usable token).
func (r *rotator) rotate(ctx context.Context, token string) (tok *oauth2.Token, inDoubt bool, err error) {
	r.current.Store(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
	defer r.current.Store(nil)
	ctx, sent := sendtrace.Track(ctx)
	req, err := r.api.NewRequest(ctx, http.MethodPut, tokensPath+url.PathEscape(token), nil)
	if err != nil {
		return nil, false, err
	}
	var answer struct {
		Payload string `json:"payload"`
	}
	_, err = r.api.Do(req, &answer)
	var ae *bearer.APIError
	switch {
	case err == nil && checkPayload(answer.Payload) == nil:
		return &oauth2.Token{AccessToken: answer.Payload, TokenType: "Bearer"}, false, nil
	case err == nil:
		// Charon rotated, but we cannot read the new token.
		return nil, true, fmt.Errorf("c2: Charon answered the rotation without a usable token: %w", checkPayload(answer.Payload))
	case errors.As(err, &ae):
		// A 500 may come after Charon applied the rotation; a gateway's
		// 502 or 504 may hide one.
		return nil, ae.StatusCode >= 500, err
	}
	return nil, sent.MaybeSent(), err
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
// 401 is permanent; anything else is retried on r.backoff's schedule, at
// least as late as a Retry-After asks.
func (r *rotator) failed(err error, token string) error {
	msg := redact.String(err.Error(), token)
	var ae *bearer.APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
		return tokenrefresh.Permanent(&rotationError{sentinel: ErrTokenRejected, err: err, msg: fmt.Sprintf(
			"c2: Charon rejected the token, which was revoked, has expired, or was rotated elsewhere (%s): issue a new token at %s", msg, r.issueURL)})
	}
	var asked time.Duration
	if ae != nil {
		asked = ae.RetryAfter
	}
	return &rotationError{msg: "c2: rotate the token: " + msg, err: err, retryAfter: asked}
}

// backoff is the Refresher's Backoff (tokenrefresh.Config.Backoff): the
// wait after n consecutive failures is the retry interval for the first
// retryAttempts, then doubles (jittered, internal/backoff) up to maxWait;
// at least what the server asked for, up to maxWait.
func (r *rotator) backoff(n int, serverAsked time.Duration) time.Duration {
	d := r.retryInterval
	if n > r.retryAttempts {
		d = backoff.Exponential(2*r.retryInterval, r.maxWait, n-r.retryAttempts, nil)
	}
	return min(max(d, serverAsked), r.maxWait)
}
