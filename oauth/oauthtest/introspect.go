package oauthtest

import (
	"net/http"
	"net/url"
	"strings"
)

// handleIntrospect serves POST [IntrospectPath] (RFC 7662 2): a client
// that authenticates as at the token endpoint asks about an access or a
// refresh token of this server. An unknown, expired, revoked or spent
// token is {"active":false} (RFC 7662 2.2); a client that fails to
// authenticate is answered 401 invalid_client (RFC 7662 2.3).
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	_, tok, ok := s.tokenRequest(w, r, s.authenticateClient, "RFC 7662 2.1")
	if !ok {
		return
	}
	s.writeJSON(w, http.StatusOK, s.introspect(tok))
}

// tokenRequest reads a request about one token (introspection,
// revocation): a form with the token, from a client that identifies
// itself with identify. On failure it answers and reports false; rfc
// names the section the request breaks.
func (s *Server) tokenRequest(w http.ResponseWriter, r *http.Request,
	identify func(*http.Request, url.Values) (Client, AuthMethod, *oauthError), rfc string) (Client, string, bool) {
	noStore(w)
	form, err := readForm(w, r)
	if err != nil {
		s.writeOAuthError(w, invalidRequest("the body must be a form ("+rfc+")"))
		return Client{}, "", false
	}
	c, method, oerr := identify(r, form)
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return Client{}, "", false
	}
	if k := repeated(form); k != "" || form.Get("token") == "" {
		s.writeOAuthError(w, invalidRequest("token is required, once ("+rfc+")"))
		return Client{}, "", false
	}
	return c, form.Get("token"), true
}

// introspect describes tok as RFC 7662 2.2 does.
func (s *Server) introspect(tok string) map[string]any {
	if strings.Count(tok, ".") == 2 {
		if u, c, problem := s.checkAccess(tok, s.issuer); problem == "" {
			a := map[string]any{"active": true, "token_type": "Bearer", "sub": u.ID, "username": u.Email,
				"aud": c.Audience, "iss": c.Issuer, "exp": c.ExpiresAt.Unix(), "iat": c.IssuedAt.Unix(), "jti": c.ID}
			if c.ClientID != "" {
				a["client_id"] = c.ClientID
			}
			if c.Scope != "" {
				a["scope"] = c.Scope
			}
			return a
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.refreshes[tok]; ok && !e.used && !e.revoked {
		a := map[string]any{"active": true, "token_type": "refresh_token", "client_id": e.clientID, "sub": e.userID, "iss": s.issuer}
		if e.scope != "" {
			a["scope"] = e.scope
		}
		return a
	}
	return map[string]any{"active": false}
}
