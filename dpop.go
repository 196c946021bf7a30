package bearer

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// A Prover proves possession of the key that DPoP-bound tokens are bound
// to (RFC 9449), and remembers the nonces servers give for its proofs.
// *oauth.DPoP is one: give the same one to the grant that gets the
// tokens and to the client that sends them ([WithDPoP],
// [Transport].DPoP).
//
// A request whose token has token_type DPoP is sent with
// "Authorization: DPoP <token>" and a DPoP header holding a new proof
// for that request (RFC 9449 7.1): replays and retries get a new proof
// each. The DPoP-Nonce of every answer is passed to UseNonce; a 401
// whose DPoP challenge says use_dpop_nonce is sent once more, with a new
// proof carrying the nonce (RFC 9449 9), when its body can be sent again.
// A Bearer token is sent as a bearer token, without a proof.
type Prover interface {
	// Proof returns a new proof for a request of method to u that
	// carries accessToken (RFC 9449 4.2, with ath).
	Proof(method string, u *url.URL, accessToken string) (string, error)
	// UseNonce records the DPoP-Nonce a server of u gave (RFC 9449 9).
	UseNonce(u *url.URL, nonce string)
}

// WithDPoP sends the source's DPoP-bound tokens with proofs of p's key
// (see [Prover]): p is the oauth.DPoP of the grant that gets the tokens.
// Without it, a DPoP-bound token is not sent: the request fails with an
// error that says to give the key.
func WithDPoP(p Prover) Option {
	return func(c *Client) error {
		if p == nil {
			return errors.New("bearer: WithDPoP(nil): pass the oauth.DPoP of the token source's grant")
		}
		c.dpop = p
		return nil
	}
}

// errNoProver is returned for a DPoP-bound token that a client without a
// Prover would send.
var errNoProver error = unsendable(`bearer: the token is DPoP-bound (token_type "DPoP"), so each request needs a proof of its key: give the client the grant's oauth.DPoP with WithDPoP (or set Transport.DPoP)`)

// isDPoP reports whether tok must be sent with the DPoP scheme (RFC 9449
// 7.1).
func isDPoP(tok *oauth2.Token) bool { return strings.EqualFold(tok.TokenType, "DPoP") }

// setDPoP authorizes req with tok, a DPoP-bound token, and a new proof of
// p's key: each header with a value slice of its own.
func setDPoP(req *http.Request, tok *oauth2.Token, p Prover, reg *redact.Registry) error {
	if p == nil {
		return errNoProver
	}
	reg.Add(tok.AccessToken)
	proof, err := p.Proof(req.Method, req.URL, tok.AccessToken)
	if err != nil {
		return err
	}
	req.Header["Authorization"] = []string{"DPoP " + tok.AccessToken}
	req.Header["Dpop"] = []string{proof}
	return nil
}

// noteNonce passes the DPoP-Nonce of resp, the answer to a request sent
// with tok, to p.
func noteNonce(p Prover, req *http.Request, tok *oauth2.Token, resp *http.Response) {
	if p != nil && isDPoP(tok) {
		if n := resp.Header.Get("DPoP-Nonce"); n != "" {
			p.UseNonce(req.URL, n)
		}
	}
}

// asksNonce reports whether resp, the answer to a request sent with tok,
// refuses its proof for want of a nonce (RFC 9449 9): a 401 with a DPoP
// challenge whose error is use_dpop_nonce, and a DPoP-Nonce header.
func asksNonce(tok *oauth2.Token, resp *http.Response) bool {
	if !isDPoP(tok) || resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("DPoP-Nonce") == "" {
		return false
	}
	for _, c := range httpx.ParseChallenges(resp.Header.Values("WWW-Authenticate")) {
		if strings.EqualFold(c.Scheme, "DPoP") && c.Params["error"] == "use_dpop_nonce" {
			return true
		}
	}
	return false
}
