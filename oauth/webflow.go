package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// Errors of the authorization response, beside [ErrStateMismatch].
var (
	// ErrIssuerMismatch: the authorization response names another issuer
	// than the server the request went to, or names none though the
	// server says it always does (RFC 9207 2.4): a mix-up attack, or a
	// wrong Issuer setting.
	ErrIssuerMismatch = errors.New("oauth: the authorization response comes from another issuer")
	// ErrNonceMismatch: the ID token does not carry the nonce of this
	// login (OpenID Connect Core 3.1.3.7): it answers another request.
	ErrNonceMismatch = errors.New("oauth: the ID token's nonce does not match this login")
)

// idTokenLeeway is how far past its exp an ID token is still taken: it
// was issued a moment ago, so only the clocks of client and server can
// make it look expired, and five minutes covers what NTP leaves of that.
const idTokenLeeway = 5 * time.Minute

// AuthSession is what a web application keeps between [AuthCode.AuthURL]
// and [AuthCode.Exchange], in the user's server-side session or in a
// cookie it encrypts and authenticates: the state that ties the callback
// to this browser (RFC 6749 10.12), the PKCE verifier (RFC 7636 4.1) and
// the OpenID Connect nonce. The verifier must not reach the browser in
// clear: with it and a stolen code, anyone can redeem the code. An
// AuthSession is used once.
//
// The verifier is a [secret.String], so an AuthSession prints it as
// REDACTED however it is printed, json.Marshal included. To store a
// session, use MarshalBinary and UnmarshalBinary (encoding/gob and most
// session stores call them), which keep it whole.
type AuthSession struct {
	State       string
	Verifier    secret.String
	Nonce       string
	RedirectURI string
}

// authSessionRecord is the stored form of an AuthSession.
type authSessionRecord struct {
	Format      int    `json:"format"`
	State       string `json:"state"`
	Verifier    string `json:"code_verifier"`
	Nonce       string `json:"nonce,omitempty"`
	RedirectURI string `json:"redirect_uri"`
}

// authSessionFormat is the version of the stored form.
const authSessionFormat = 1

// MarshalBinary encodes the whole session, verifier included, for the
// application's session store. Keep what it returns where the browser
// cannot read it in clear (a server-side session, or a cookie the
// application encrypts).
func (s AuthSession) MarshalBinary() ([]byte, error) {
	return json.Marshal(authSessionRecord{Format: authSessionFormat, State: s.State,
		Verifier: s.Verifier.Reveal(), Nonce: s.Nonce, RedirectURI: s.RedirectURI})
}

// UnmarshalBinary decodes what MarshalBinary encoded. Its error never
// quotes the input.
func (s *AuthSession) UnmarshalBinary(b []byte) error {
	var r authSessionRecord
	if json.Unmarshal(b, &r) != nil || r.Format != authSessionFormat {
		return errors.New("oauth: not a stored AuthSession of this version")
	}
	*s = AuthSession{State: r.State, Verifier: secret.New(r.Verifier), Nonce: r.Nonce, RedirectURI: r.RedirectURI}
	return nil
}

// AuthURL starts a login for a web application: it returns the address
// to send the user's browser to (RFC 6749 4.1.1, with an S256 code
// challenge, RFC 7636 4.3, and a nonce when the scopes hold openid) and
// the session to keep until the browser comes back to RedirectURL. It
// does no I/O; it fails only when the configuration has no RedirectURL.
func (a *AuthCode) AuthURL() (string, *AuthSession, error) {
	if a.cfg.RedirectURL == "" {
		return "", nil, errors.New("oauth: AuthURL needs AuthCodeConfig.RedirectURL, the redirect URI registered for the app")
	}
	u, s := a.begin(a.cfg.RedirectURL)
	return u, s, nil
}

// begin makes a new session for redirectURI and its authorization URL.
func (a *AuthCode) begin(redirectURI string) (string, *AuthSession) {
	s := &AuthSession{State: rand.Text(), Verifier: secret.New(oauth2.GenerateVerifier()), RedirectURI: redirectURI}
	if slices.Contains(a.cfg.Scopes, "openid") {
		s.Nonce = rand.Text()
	}
	u := *a.auth
	q := u.Query()
	for k, v := range a.cfg.AuthParams {
		q[k] = append([]string(nil), v...)
	}
	// OpenID Connect Core 11: a request for offline_access must carry
	// prompt=consent, or the server drops the scope and sends no refresh
	// token (oidc-provider does so silently).
	if slices.Contains(a.cfg.Scopes, "offline_access") && !q.Has("prompt") {
		q.Set("prompt", "consent")
	}
	q.Set("response_type", "code")
	q.Set("client_id", a.cfg.Client.ID)
	q.Set("redirect_uri", redirectURI)
	setScopes(q, a.cfg.Scopes)
	q.Set("state", s.State)
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(s.Verifier.Reveal()))
	q.Set("code_challenge_method", "S256")
	if s.Nonce != "" {
		q.Set("nonce", s.Nonce)
	}
	u.RawQuery = q.Encode()
	return u.String(), s
}

// Exchange finishes a login: callback is the query (or, with
// response_mode=form_post, the form) the browser brought to the redirect
// URI. Exchange checks the state against sess (RFC 6749 10.12), the iss
// against the expected issuer (RFC 9207 2.4), reads the server's error=
// (RFC 6749 4.1.2.1), redeems the code with the PKCE verifier (RFC 6749
// 4.1.3, RFC 7636 4.5) and, for an OpenID Connect login, checks the ID
// token's nonce, audience, issuer and expiry (OpenID Connect Core
// 3.1.3.7). Call it once per session, from the handler of the redirect
// URI.
//
// Errors: [ErrStateMismatch], [ErrIssuerMismatch], [ErrNonceMismatch], an
// [*Error] with the server's error= (such as access_denied) or the token
// endpoint's answer, or a [*RequestError].
func (a *AuthCode) Exchange(ctx context.Context, sess *AuthSession, callback url.Values) (*oauth2.Token, error) {
	code, err := a.verify(sess, callback)
	if err != nil {
		return nil, err
	}
	return a.redeem(ctx, sess, code)
}

// verify checks an authorization response against its session and
// returns its code.
func (a *AuthCode) verify(sess *AuthSession, q url.Values) (string, error) {
	if sess == nil || sess.State == "" || sess.Verifier.IsZero() || sess.RedirectURI == "" {
		return "", errors.New("oauth: Exchange needs the AuthSession that AuthURL returned")
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(sess.State)) != 1 {
		return "", fmt.Errorf("%w: start the login again", ErrStateMismatch)
	}
	if err := a.checkIss(q); err != nil {
		return "", err
	}
	if code := q.Get("error"); code != "" {
		return "", &Error{Endpoint: endpointName(a.auth), Code: clean(code), Description: clean(q.Get("error_description")), URI: clean(q.Get("error_uri"))}
	}
	if q.Get("code") == "" {
		return "", errors.New("oauth: the authorization response carried neither a code nor an error")
	}
	return q.Get("code"), nil
}

// checkIss applies RFC 9207 2.4: an iss that is there must be the
// expected issuer; one that is missing is refused when the server says it
// always sends it.
func (a *AuthCode) checkIss(q url.Values) error {
	iss, present := q.Get("iss"), q.Has("iss")
	switch {
	case !present && a.requireIss:
		return fmt.Errorf("%w: the response has no iss, which %s says it always sends (RFC 9207 2.4)", ErrIssuerMismatch, a.issuer)
	case present && a.issuer != "" && iss != a.issuer:
		return fmt.Errorf("%w: iss %q, want %q (RFC 9207 2.4): start the login again, and check AuthCodeConfig.Issuer", ErrIssuerMismatch, clean(iss), a.issuer)
	}
	return nil
}

// redeem trades the code for a token and checks its ID token.
func (a *AuthCode) redeem(ctx context.Context, sess *AuthSession, code string) (*oauth2.Token, error) {
	form := withParams(a.cfg.Params)
	form.Set("code", code)
	form.Set("redirect_uri", sess.RedirectURI)
	form.Set("code_verifier", sess.Verifier.Reveal())
	tok, err := a.ep.token(ctx, "authorization_code", form, code, sess.Verifier.Reveal())
	if err != nil {
		return nil, err
	}
	if sess.Nonce != "" {
		if err := a.checkIDToken(IDToken(tok), sess.Nonce); err != nil {
			return nil, err
		}
	}
	return tok, nil
}

// checkIDToken checks the claims of an ID token received from the token
// endpoint (OpenID Connect Core 3.1.3.7): its signature may go unchecked
// there, since TLS authenticated the server (item 6), but the nonce (11),
// the audience (3), the issuer (2) and the expiry (9) must hold.
func (a *AuthCode) checkIDToken(raw, nonce string) error {
	if raw == "" {
		return errors.New("oauth: the token response has no id_token though the scopes hold openid (OpenID Connect Core 3.1.3.3)")
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err != nil {
		return errors.New("oauth: the id_token is not a JWT")
	}
	got, _ := claims["nonce"].(string)
	aud, _ := claims.GetAudience()
	iss, _ := claims.GetIssuer()
	exp, _ := claims.GetExpirationTime()
	switch {
	case subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1:
		return fmt.Errorf("%w: start the login again", ErrNonceMismatch)
	case !slices.Contains(aud, a.cfg.Client.ID):
		return fmt.Errorf("oauth: the id_token is for another client (aud %v): it is not this app's login", listed(aud))
	case a.issuer != "" && iss != a.issuer:
		return fmt.Errorf("%w: the id_token's iss is %q, want %q", ErrIssuerMismatch, clean(iss), a.issuer)
	case exp == nil || !a.ep.s.Now().Before(exp.Add(idTokenLeeway)):
		return errors.New("oauth: the id_token has expired or has no exp: check the clock, then log in again")
	}
	return nil
}
