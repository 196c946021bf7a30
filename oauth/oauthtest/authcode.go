package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AuthCodeLifetime is how long an authorization code can be redeemed: RFC
// 6749 4.1.2 recommends at most ten minutes; a browser redirect takes
// seconds.
const AuthCodeLifetime = time.Minute

// authCode is an issued authorization code and what it was bound to.
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string // S256 code challenge, RFC 7636 4.2
	userID      string
	scope       string
	nonce       string // OpenID Connect Core 3.1.2.1, echoed in the ID token
	exp         time.Time
}

// refreshEntry is an issued refresh token. Rotation marks it used; using
// it again revokes its whole family (every token rotated from the same
// login), as RFC 9700 4.14.2 recommends.
type refreshEntry struct {
	clientID  string
	userID    string
	family    string
	scope     string
	used      bool
	revoked   bool
	successor string // the refresh token its rotation issued
}

// DenyAuthorizations makes every authorization request end in a redirect
// with error=code and error_description=description (RFC 6749 4.1.2.1),
// as when the user refuses; an empty code restores approval.
func (s *Server) DenyAuthorizations(code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denial = nil
	if code != "" {
		s.denial = &oauthError{Code: code, Description: description}
	}
}

// handleAuthorize serves GET [AuthorizePath]: it approves at once, as the
// user that owns the client, and redirects with a code and the server's
// iss (RFC 9207 2). The redirect URI must be one the client registered
// ([Client.RedirectURIs], compared as strings, RFC 9700 2.1), or, for a
// client that registered none, a loopback one of a native app on any port
// (RFC 8252 7.3); otherwise the server answers 400 and does not redirect
// (RFC 6749 4.1.2.1). PKCE with S256 is required (RFC 7636).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, ok := s.client(q.Get("client_id"))
	if !ok {
		s.writeOAuthError(w, invalidRequest("unknown client_id"))
		return
	}
	redirect, problem := redirectFor(c, q.Get("redirect_uri"))
	if problem != "" {
		s.writeOAuthError(w, invalidRequest(problem))
		return
	}
	s.mu.Lock()
	denial := s.denial
	s.mu.Unlock()
	answer := func(kv ...string) { redirectWith(w, r, redirect, q.Get("state"), append(kv, "iss", s.issuer)...) }
	switch {
	case denial != nil:
		answer("error", denial.Code, "error_description", denial.Description)
	case q.Get("response_type") != "code":
		answer("error", "unsupported_response_type")
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43:
		answer("error", "invalid_request", "error_description", "PKCE with code_challenge_method=S256 is required")
	default:
		code := newSecret()
		s.mu.Lock()
		pruneCodes(s.codes, s.now())
		s.codes[code] = &authCode{clientID: c.ClientID, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
			userID: c.UserID, scope: q.Get("scope"), nonce: q.Get("nonce"), exp: s.now().Add(AuthCodeLifetime)}
		s.mu.Unlock()
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: authorization approved", slog.String("client_id", c.ClientID))
		answer("code", code)
	}
}

// redirectFor checks a redirect URI against the client's registration and
// parses it; the problem is empty when it is accepted.
func redirectFor(c Client, raw string) (*url.URL, string) {
	if len(c.RedirectURIs) == 0 {
		u, ok := loopbackRedirect(raw)
		if !ok {
			return nil, "redirect_uri must be http://127.0.0.1:{port}/… or http://[::1]:{port}/… (RFC 8252 7.3)"
		}
		return u, ""
	}
	u, err := url.Parse(raw)
	if err != nil || !slices.Contains(c.RedirectURIs, raw) {
		return nil, "redirect_uri is not one the client registered"
	}
	return u, ""
}

// loopbackRedirect parses a native app's redirect URI.
func loopbackRedirect(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Fragment != "" || u.User != nil {
		return nil, false
	}
	ip := net.ParseIP(u.Hostname())
	return u, ip != nil && ip.IsLoopback()
}

// redirectWith redirects to u with state and the key/value pairs kv added
// to its query.
func redirectWith(w http.ResponseWriter, r *http.Request, u *url.URL, state string, kv ...string) {
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if state != "" {
		q.Set("state", state)
	}
	target := *u
	target.RawQuery = q.Encode()
	noStore(w)
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func pruneCodes(m map[string]*authCode, now time.Time) {
	for k, c := range m {
		if !now.Before(c.exp) {
			delete(m, k)
		}
	}
}

// tokenClient identifies the client of an authorization_code or
// refresh_token request: authenticated if it presents credentials, by its
// client_id alone if it is a public client (PKCE protects its codes).
func (s *Server) tokenClient(r *http.Request, form url.Values) (Client, AuthMethod, *oauthError) {
	_, _, basic := r.BasicAuth()
	if basic || form.Has("client_secret") || form.Has("client_assertion") || form.Has("client_assertion_type") {
		return s.authenticateClient(r, form)
	}
	c, ok := s.client(form.Get("client_id"))
	if !ok {
		return Client{}, "", invalidClient("unknown client_id")
	}
	return c, "none", nil
}

// authorizationCodeGrant serves grant_type=authorization_code, RFC 6749
// 4.1.3 with RFC 7636 4.5.
func (s *Server) authorizationCodeGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	c, method, oerr := s.tokenClient(r, form)
	s.countTokenCall("authorization_code", method)
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return
	}
	s.mu.Lock()
	code, ok := s.codes[form.Get("code")]
	delete(s.codes, form.Get("code")) // single use, RFC 6749 4.1.2
	s.mu.Unlock()
	switch {
	case !ok || !s.now().Before(code.exp):
		oerr = invalidGrant("the authorization code is unknown, used or expired")
	case code.clientID != c.ClientID:
		oerr = invalidGrant("the authorization code was issued to another client")
	case form.Get("redirect_uri") != code.redirectURI:
		oerr = invalidGrant("redirect_uri differs from the authorization request's")
	case !pkceMatches(form.Get("code_verifier"), code.challenge):
		oerr = invalidGrant("code_verifier does not match the code_challenge")
	}
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return
	}
	g := grant{name: "authorization_code", method: method, clientID: c.ClientID, userID: code.userID, family: newUUID(), scope: code.scope}
	if slices.Contains(strings.Fields(code.scope), "openid") {
		g.nonce, g.openID = code.nonce, true
	}
	s.issueWithRefresh(w, r, g)
}

// refreshTokenGrant serves grant_type=refresh_token, RFC 6749 6, with
// rotation and reuse detection.
func (s *Server) refreshTokenGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	c, method, oerr := s.tokenClient(r, form)
	s.countTokenCall("refresh_token", method)
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return
	}
	s.mu.Lock()
	e, ok := s.refreshes[form.Get("refresh_token")]
	switch {
	case !ok || e.revoked:
		oerr = invalidGrant("the refresh token is unknown or revoked")
	case e.clientID != c.ClientID:
		oerr = invalidGrant("the refresh token was issued to another client")
	case e.used:
		s.revokeFamilyLocked(e.family)
		oerr = invalidGrant("the refresh token was already used: every token of its login is revoked")
	default:
		e.used = true
	}
	s.mu.Unlock()
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return
	}
	s.issueWithRefresh(w, r, grant{name: "refresh_token", method: method, clientID: c.ClientID, userID: e.userID,
		family: e.family, scope: e.scope, rotated: e})
}

func (s *Server) revokeFamilyLocked(family string) {
	for _, e := range s.refreshes {
		if e.family == family {
			e.revoked = true
		}
	}
}

// grant is what a client was granted for a user: the answer's content.
type grant struct {
	name     string // grant_type, for the log
	method   AuthMethod
	clientID string
	userID   string
	family   string // the refresh token family
	scope    string
	openID   bool          // answer an ID token
	nonce    string        // its nonce
	rotated  *refreshEntry // the refresh token this grant spent, if any
}

// issueWithRefresh answers an access token, a new refresh token of the
// family, the scope, and an ID token if g asks for one.
func (s *Server) issueWithRefresh(w http.ResponseWriter, r *http.Request, g grant) {
	resp, err := s.issueFor(g)
	if err == nil && g.openID {
		resp.IDToken, err = s.idToken(g)
	}
	if err != nil {
		s.writeJSON(w, http.StatusInternalServerError, detail{Detail: "Internal Server Error"})
		return
	}
	resp.RefreshToken = s.addRefreshToken(g)
	resp.Scope = g.scope
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: token issued",
		slog.String("grant_type", g.name), slog.String("method", string(g.method)), slog.String("user_id", g.userID))
	noStore(w)
	s.writeJSON(w, http.StatusOK, resp)
}

// idToken signs the ID token of OpenID Connect Core 2: iss, sub, aud (the
// client), exp, iat, and the nonce of the authorization request.
func (s *Server) idToken(g grant) (string, error) {
	now := time.Unix(s.now().Unix(), 0)
	claims := jwt.MapClaims{"iss": s.issuer, "sub": g.userID, "aud": g.clientID,
		"iat": now.Unix(), "exp": now.Add(s.lifetime).Unix(), "auth_time": now.Unix()}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(s.key)
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, e *oauthError, method AuthMethod) {
	s.logRefusal(r, e.Description, string(method))
	s.writeOAuthError(w, e)
}

func invalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: "invalid_grant", Description: desc}
}

// pkceMatches checks a code verifier against an S256 challenge (RFC 7636
// 4.6) in constant time.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return verifier != "" && subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
