package oauthtest

import "fmt"

// addRefreshToken records a new refresh token of g's family and returns
// it. If g spent a refresh token, the new one is its successor.
func (s *Server) addRefreshToken(g grant) string {
	tok := newSecret()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshes[tok] = &refreshEntry{clientID: g.clientID, userID: g.userID, family: g.family, scope: g.scope}
	if g.rotated != nil {
		g.rotated.successor = tok
		s.stats.Rotations++
	}
	return tok
}

// IssueRefreshToken returns a new refresh token for the client clientID,
// acting for the client's user with scope, as if the user had just signed
// in through the authorization code or device flow: a test hands it to a
// program that starts from a refresh token. It starts a family of its own
// (see [Server.Successor]). It fails if no client has that id.
func (s *Server) IssueRefreshToken(clientID, scope string) (string, error) {
	c, ok := s.client(clientID)
	if !ok {
		return "", fmt.Errorf("oauthtest: no client with id %q; add it with AddClient first", clientID)
	}
	return s.addRefreshToken(grant{clientID: c.ClientID, userID: c.UserID, family: newUUID(), scope: scope}), nil
}

// Successor returns the refresh token that the rotation of refreshToken
// issued, whether or not the client received the answer (a
// FaultDropAfterApply keeps it from the client). It reports false if
// refreshToken was never rotated.
func (s *Server) Successor(refreshToken string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.refreshes[refreshToken]
	if !ok || e.successor == "" {
		return "", false
	}
	return e.successor, true
}

// Active reports whether token, an access token or a refresh token of this
// server, is live now: what introspection (RFC 7662 2.2) would answer as
// "active". An access token is live until it expires or [Server.RevokeAll];
// a refresh token until it is rotated, or its family is revoked because a
// rotated one was used again.
func (s *Server) Active(token string) bool {
	return s.introspect(token)["active"] == true
}
