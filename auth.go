package bearer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// This file holds what [Transport] and the Client's own transport share:
// getting a token, the Authorization value of each token, and what follows
// an error answer.

// errEmptyToken is returned when a source answers no token and no error.
var errEmptyToken = errors.New("the token source returned an empty token")

// fetchToken asks src for a token; an empty one is an error.
func fetchToken(ctx context.Context, src TokenSource) (*oauth2.Token, error) {
	tok, err := src.Token(ctx)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errEmptyToken
	}
	if err != nil {
		return nil, &TokenError{Err: err}
	}
	return tok, nil
}

// headerCache holds the Authorization value of the last token, so a
// request with an unchanged token builds no string. The zero value is
// ready.
type headerCache struct {
	last atomic.Pointer[authHeader] // replaced whole, never modified
}

// authHeader is the Authorization value of one token.
type authHeader struct {
	tok    *oauth2.Token
	access string
	value  string
}

// value returns tok's Authorization value. The first time it sees a
// token it adds the token to reg, so that errors about later requests
// redact it.
func (c *headerCache) value(tok *oauth2.Token, reg *redact.Registry) string {
	if h := c.last.Load(); h != nil && h.tok == tok && h.access == tok.AccessToken {
		return h.value
	}
	reg.Add(tok.AccessToken)
	h := &authHeader{tok: tok, access: tok.AccessToken, value: tok.Type() + " " + tok.AccessToken}
	c.last.Store(h)
	return h.value
}

// sentRequest is a request copy and its Authorization value slice, in one
// allocation: the slice is the copy's own, so a caller that edits the
// header of resp.Request changes nothing another request sends.
type sentRequest struct {
	req  http.Request
	auth [1]string
}

// authorizedCopy returns a copy of req, with a header map of its own,
// authorized with tok: with a new proof of p's key for a DPoP-bound
// token. A redirected request loses its Referer.
func authorizedCopy(req *http.Request, tok *oauth2.Token, src TokenSource, c *headerCache, reg *redact.Registry, p Prover) (*http.Request, error) {
	s := new(sentRequest)
	s.req = *req
	r2 := &s.req
	r2.Header = make(http.Header, len(req.Header)+1)
	for k, vv := range req.Header {
		r2.Header[k] = vv // the caller's own slices, never modified
	}
	if req.Response != nil {
		delete(r2.Header, "Referer")
	}
	switch a, ok := src.(Authorizer); {
	case ok:
		a.Authorize(r2, tok)
	case isDPoP(tok):
		return r2, setDPoP(r2, tok, p, reg)
	default:
		s.auth[0] = c.value(tok, reg)
		r2.Header["Authorization"] = s.auth[:]
	}
	return r2, nil
}

// rejection carries what the transports need after an error answer.
type rejection struct {
	src    TokenSource
	base   http.RoundTripper
	cache  *headerCache
	reg    *redact.Registry
	logger *slog.Logger // nil logs nothing
	dpop   Prover       // nil: DPoP-bound tokens are not sent
	// binding checks the certificate a token is bound to; nil for a
	// Transport, whose Base's certificate is its own business.
	binding *certBinding
}

// send authorizes a copy of req with tok and sends it.
func (r rejection) send(req *http.Request, tok *oauth2.Token) (*http.Response, error) {
	var err error
	if r.binding != nil {
		err = r.binding.check(tok)
	}
	out := req
	if err == nil {
		out, err = authorizedCopy(req, tok, r.src, r.cache, r.reg, r.dpop)
	}
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := r.base.RoundTrip(out)
	if err == nil {
		noteNonce(r.dpop, req, tok, resp)
	}
	return resp, err
}

// after handles an error answer resp to req, sent with tok: if the source
// says the token is no good, it gets a new token and sends req once more,
// when its body can be sent again. If the source fails to give one, its
// *TokenError is returned instead of resp, whether or not the body could
// be sent again: the first request after a revoked grant says so (the
// refresh's invalid_grant), not just 401. Otherwise resp is returned as it
// came.
func (r rejection) after(req *http.Request, tok *oauth2.Token, resp *http.Response) (*http.Response, error) {
	ctx := req.Context()
	if asksNonce(tok, resp) {
		// The token is good: the proof lacked the server's nonce.
		var err error
		if resp, err = r.withNonce(req, tok, resp); err != nil || resp.StatusCode < 400 || asksNonce(tok, resp) {
			return resp, err
		}
	}
	if !r.renew(ctx, tok, resp) {
		return resp, nil
	}
	next, err := fetchToken(ctx, r.src)
	switch {
	case err != nil:
		// The source says why there is no new token (a login is needed,
		// the lineage was lost): that, not the rejection, is the news.
		httpx.DrainAndClose(resp.Body)
		return nil, err
	case !rewindable(req):
		r.log(req, "token rejected; its body cannot be sent again, so the rejection is returned")
		return resp, nil
	case next.AccessToken == tok.AccessToken:
		r.log(req, "token rejected and no new token is available")
		return resp, nil
	}
	r.reg.Add(next.AccessToken) // before anything is said about the replay
	again, err := rewound(req)
	if err != nil {
		return resp, nil
	}
	httpx.DrainAndClose(resp.Body)
	r.log(req, "token rejected; sending the request once more with a new token")
	return r.send(again, next)
}

// withNonce sends req once more with tok and a proof that carries the
// nonce resp gave: the one retry RFC 9449 9 allows. A body that cannot be
// sent again is not: resp is returned, and the next request carries the
// nonce.
func (r rejection) withNonce(req *http.Request, tok *oauth2.Token, resp *http.Response) (*http.Response, error) {
	if !rewindable(req) {
		return resp, nil
	}
	again, err := rewound(req)
	if err != nil {
		return resp, nil
	}
	httpx.DrainAndClose(resp.Body)
	r.log(req, "the server asked for a DPoP nonce; sending the request once more with it")
	return r.send(again, tok)
}

// renew reports whether resp says tok must be replaced, by the source's
// policy or, for an Invalidator, by a 401; it tells the source so.
func (r rejection) renew(ctx context.Context, tok *oauth2.Token, resp *http.Response) bool {
	switch s := r.src.(type) {
	case RejectionPolicy:
		code := r.reg.Redact(peekProblem(resp).Code)
		return s.Reject(ctx, Rejection{Token: secret.New(tok), StatusCode: resp.StatusCode, Code: code}) == Renew
	case Invalidator:
		if resp.StatusCode == http.StatusUnauthorized {
			s.Invalidate(tok)
			return true
		}
	}
	return false
}

func (r rejection) log(req *http.Request, msg string) {
	if r.logger != nil {
		r.logger.Info("bearer: "+msg, "method", req.Method, "url", httpx.RedactURL(req.URL, r.reg))
	}
}

// peekProblem parses the start of resp's body (up to MaxErrorBody bytes)
// and its challenges, leaving the body whole for the caller.
func peekProblem(resp *http.Response) httpx.Problem {
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(buf), resp.Body), resp.Body}
	return httpx.ParseProblem(resp.Header, buf)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// rewindable reports whether req's body can be sent again.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewound returns a copy of req with a fresh body.
func rewound(req *http.Request) (*http.Request, error) {
	if req.GetBody == nil {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r2 := new(http.Request)
	*r2 = *req
	r2.Body = body
	return r2, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// TokenError is returned when no token could be had for a request: the
// request was not sent. Err says why (see tokenrefresh for its errors).
type TokenError struct {
	Err error
}

func (e *TokenError) Error() string { return "bearer: no token for the request: " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }
