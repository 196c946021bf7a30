package c2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/backoff"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/sendtrace"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// Paths of Charon, C2's token service, below the API root.
const (
	tokensPath = "charon/tokens/" // + token: PUT rotates it
	issuePath  = "/charon/tokens/issue"
)

// maxAnswer bounds the answer to a rotation read: Charon's is a few
// dozen bytes of JSON; 1 MiB is the module's limit.
const maxAnswer = 1 << 20

// rotator is the Charon rotation as a tokenrefresh.RefreshFunc: PUT
// {root}/charon/tokens/{token}, with the same token as bearer, answers
// {"payload": "<new token>"} and kills the old token. It goes through the
// exchange of the client's bearer.Client: its transport, the rules for a
// request that carries credentials (no redirect followed, plain http only
// to this machine), and its registry of secrets.
type rotator struct {
	root     string
	issueURL string
	x        *httpx.Exchange
	now      func() time.Time

	retryInterval time.Duration
	retryAttempts int
	maxWait       time.Duration
}

func newRotator(root string, x *httpx.Exchange, now func() time.Time, cfg *config) *rotator {
	return &rotator{
		root:          root,
		issueURL:      root + issuePath,
		x:             x,
		now:           now,
		retryInterval: cfg.retryInterval,
		retryAttempts: cfg.retryAttempts,
		maxWait:       max(MaxRetryWait, cfg.retryInterval),
	}
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

// rotate sends one PUT, once (the Refresher owns retries, and a PUT that
// reached Charon must never be sent again blindly), and reports whether a
// failure leaves the rotation in doubt: Charon may have applied it (the
// request may have been sent, and then the connection dropped or timed
// out, or an answer came back 5xx, or a 2xx without a usable token). A
// redirect is never followed, so no other host sees the token nor has its
// answer taken for the new one.
func (r *rotator) rotate(ctx context.Context, token string) (tok *oauth2.Token, inDoubt bool, err error) {
	ctx, sent := sendtrace.Track(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, r.root+"/"+tokensPath+url.PathEscape(token), nil)
	if err != nil {
		return nil, false, fmt.Errorf("c2: build the rotation request: %s", r.x.Secrets.Redact(err.Error(), token))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	a, err := r.x.Send(req, maxAnswer)
	switch {
	case err != nil:
		return nil, sent.MaybeApplied(0, err), err
	case a.StatusCode < 200 || a.StatusCode > 299:
		err := httpx.NewAPIError(a, r.x.Secrets, r.now())
		return nil, sent.MaybeApplied(a.StatusCode, err), err
	}
	return r.payload(a)
}

// payload reads the new token from a 2xx answer. One that cannot be read
// leaves the rotation in doubt: Charon rotated, but the new token is not
// to be had.
func (r *rotator) payload(a *httpx.Answer) (*oauth2.Token, bool, error) {
	var answer struct {
		Payload string `json:"payload"`
	}
	err := errors.New("the answer is not JSON")
	if !a.Oversize && json.Unmarshal(a.Body, &answer) == nil {
		err = checkPayload(answer.Payload)
	}
	if err != nil {
		return nil, true, fmt.Errorf("c2: Charon answered the rotation without a usable token: %w", err)
	}
	r.x.Secrets.Add(answer.Payload)
	return &oauth2.Token{AccessToken: answer.Payload, TokenType: "Bearer"}, false, nil
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
	msg := r.x.Secrets.Redact(err.Error(), token)
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
