package oauthtest

import (
	"log/slog"
	"net/http"
	"strings"
)

// handleRevoke serves POST [Paths.RevocationEndpoint] (RFC 7009 2): a
// client that authenticates as at the token endpoint (a public client
// names itself with client_id) revokes one of its tokens. Revoking a
// refresh token revokes its whole grant: every refresh token of its family
// and the access tokens issued with them (RFC 7009 2.1). An access token
// is revoked alone. The answer is 200 with an empty body, also for a
// token that is unknown, expired or already revoked (RFC 7009 2.2), and
// token_type_hint is only a hint (RFC 7009 2.1); a token issued to
// another client is refused with invalid_request, as RFC 7009 2.1 asks.
// Access tokens of the password and client_credentials grants name no
// client, and any authenticated client may revoke them.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	c, tok, ok := s.tokenRequest(w, r, s.tokenClient, "RFC 7009 2.1")
	if !ok {
		return
	}
	if !s.revoke(tok, c.ClientID) {
		s.writeOAuthError(w, invalidRequest("the token was issued to another client (RFC 7009 2.1)"))
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: revocation", slog.String("client_id", c.ClientID))
	w.WriteHeader(http.StatusOK)
}

// revoke revokes tok, a refresh or access token, if it is live and
// clientID may revoke it. It reports false only when tok is another
// client's.
func (s *Server) revoke(tok, clientID string) bool {
	var claims *accessClaims
	if strings.Count(tok, ".") == 2 {
		_, claims, _ = s.checkAccess(tok, s.issuer)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.refreshes[tok]; ok {
		if e.clientID != clientID {
			return false
		}
		if !e.used && !e.revoked {
			s.revokeGrantLocked(e.family)
			s.stats.Revocations++
		}
		return true
	}
	if claims == nil { // unknown, expired, or revoked already
		return true
	}
	if claims.ClientID != "" && claims.ClientID != clientID {
		return false
	}
	delete(s.issued, claims.ID)
	delete(s.familyOf, claims.ID)
	s.stats.Revocations++
	return true
}

// revokeGrantLocked revokes every refresh token of family and every live
// access token issued with one of them.
func (s *Server) revokeGrantLocked(family string) {
	s.revokeFamilyLocked(family)
	for jti, f := range s.familyOf {
		if f == family {
			delete(s.issued, jti)
			delete(s.familyOf, jti)
		}
	}
}
