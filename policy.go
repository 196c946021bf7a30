package bearer

import (
	"context"
	"net/http"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// A Rejection is an error answer (a status of 400 or more) to a request
// that carried Token. It prints no secret.
type Rejection struct {
	Token      secret.Token // the token the request carried
	StatusCode int          // the answer's status
	// Code is the server's error code, from its body or its
	// WWW-Authenticate challenges ("invalid_token", "token-expired"),
	// redacted; empty if it gave none.
	Code string
}

// A Verdict is what a [RejectionPolicy] makes of a [Rejection].
type Verdict int

const (
	// Stand: the answer stands and goes to the caller as it is (a
	// permission the account lacks, a bad request, a missing resource).
	Stand Verdict = iota
	// Renew: the token is no good. The policy has arranged for a new one
	// (as [Invalidator.Invalidate] does): the next Token call returns it,
	// after a refresh or a new login, and the request is sent once more
	// with it if its body can be sent again.
	Renew
)

// A RejectionPolicy is a TokenSource with its own rules for what an error
// answer means, such as a login API whose codes say "refresh the token"
// (token-expired), "log in again" (token-invalid) or "the account lacks a
// permission" (authorisation-required, even with a 401). [Transport] and
// [Client] call Reject for every answer of status 400 or more to a
// request authorized with one of its tokens, instead of their own rule
// (a 401 invalidates the token of an [Invalidator]); on [Renew] they get
// a new token and replay the request once. Reject is called once per
// request, never for the answer to the replay; it must be safe for
// concurrent use.
type RejectionPolicy interface {
	TokenSource
	Reject(ctx context.Context, r Rejection) Verdict
}

// An Authorizer is a TokenSource whose credentials go on a request some
// other way than an "Authorization: Bearer" header, such as the cookies of
// a login session. [Transport] and [Client] call Authorize on each request
// they send, replays included, instead of setting Authorization. req is
// the transport's own copy (or the Client's own request): Authorize sets
// its headers, giving each a value slice of its own, and keeps nothing.
type Authorizer interface {
	TokenSource
	Authorize(req *http.Request, tok *oauth2.Token)
}
