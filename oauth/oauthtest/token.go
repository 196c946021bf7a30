package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// accessClaims are the claims of an access token, as the real service
// issues them.
type accessClaims struct {
	UserID string   `json:"user_id"`
	Groups []string `json:"groups"`
	Roles  []string `json:"roles"`
	// ClientID and Scope are set for tokens a client obtained for a user
	// (authorization code, device, refresh), as RFC 9068 2.2 names them.
	ClientID string `json:"client_id,omitempty"`
	Scope    string `json:"scope,omitempty"`
	jwt.RegisteredClaims
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresAt   int64  `json:"expires_at"`
	ExpiresIn   int64  `json:"expires_in"`
	// RefreshToken is set by the authorization_code, device_code and
	// refresh_token grants only, as the real service issues none.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Scope is the granted scope of those grants (RFC 6749 5.1).
	Scope string `json:"scope,omitempty"`
	// IDToken is set for an authorization code whose scope holds openid
	// (OpenID Connect Core 3.1.3.3).
	IDToken string `json:"id_token,omitempty"`
}

// handleToken serves POST [TokenPath].
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	form, err := readForm(w, r)
	if err != nil {
		s.writeBodyError(w, err, "grant_type")
		return
	}
	if k := repeated(form); k != "" {
		s.writeOAuthError(w, invalidRequest("parameter "+k+" is repeated; RFC 6749 section 3.2 allows each parameter once"))
		return
	}
	switch grant := form.Get("grant_type"); grant {
	case "password":
		s.countTokenCall(grant, "")
		s.passwordGrant(w, r, form)
	case "client_credentials":
		s.clientCredentialsGrant(w, r, form)
	case "authorization_code":
		s.authorizationCodeGrant(w, r, form)
	case "refresh_token":
		s.refreshTokenGrant(w, r, form)
	case DeviceCodeGrantType:
		s.deviceCodeGrant(w, r, form)
	case JWTBearerGrantType:
		s.jwtBearerGrant(w, r, form)
	case "":
		s.writeJSON(w, http.StatusUnprocessableEntity, missingFields("grant_type"))
	default:
		s.countTokenCall("unsupported", "")
		s.logRefusal(r, "unsupported grant type", "")
		s.writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
	}
}

// repeated returns the name of a parameter given more than once, or "".
func repeated(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k, v := range form {
		if len(v) > 1 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return keys[0]
}

// passwordGrant serves grant_type=password, RFC 6749 section 4.3. Client
// credentials, if any, are ignored, as the real service ignores them.
func (s *Server) passwordGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	var missing []string
	for _, k := range []string{"username", "password"} {
		if !form.Has(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		s.writeJSON(w, http.StatusUnprocessableEntity, missingFields(missing...))
		return
	}
	u, ok := s.checkPassword(form.Get("username"), form.Get("password"))
	if !ok {
		s.logRefusal(r, "bad username or password", "password")
		s.writeJSON(w, http.StatusBadRequest, detail{Detail: "LOGIN_BAD_CREDENTIALS"})
		return
	}
	s.issueTo(w, r, u.ID, "password", "")
}

// clientCredentialsGrant serves grant_type=client_credentials, RFC 6749
// section 4.4.
func (s *Server) clientCredentialsGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	c, method, oerr := s.authenticateClient(r, form)
	s.countTokenCall("client_credentials", method)
	if oerr != nil {
		s.logRefusal(r, oerr.Description, string(method))
		s.writeOAuthError(w, oerr)
		return
	}
	s.issueTo(w, r, c.UserID, "client_credentials", method)
}

func (s *Server) checkPassword(email, password string) (User, bool) {
	hash := sha256.Sum256([]byte(password))
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[email]
	if !ok || subtle.ConstantTimeCompare(hash[:], u.passwordHash[:]) != 1 {
		return User{}, false
	}
	return u.User, true
}

func (s *Server) issueTo(w http.ResponseWriter, r *http.Request, userID, grant string, method AuthMethod) {
	resp, err := s.issue(userID)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "oauthtest: sign access token", slog.String("error", err.Error()))
		s.writeJSON(w, http.StatusInternalServerError, detail{Detail: "Internal Server Error"})
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: token issued",
		slog.String("grant_type", grant), slog.String("method", string(method)), slog.String("user_id", userID))
	s.writeJSON(w, http.StatusOK, resp)
}

// issue signs a new access token for the user and records it as live.
// expires_in is floored, as the real service's 839 for a 900 s token with
// a 60 s margin shows.
func (s *Server) issue(userID string) (tokenResponse, error) {
	return s.issueFor(grant{userID: userID})
}

// issueFor is issue for a token g's client obtained with g's scope; an
// access token of a refresh token family is recorded as of that family.
func (s *Server) issueFor(g grant) (tokenResponse, error) {
	now := s.now()
	iat := time.Unix(now.Unix(), 0)
	exp := iat.Add(s.lifetime)
	jti := newUUID()
	claims := accessClaims{
		UserID:   g.userID,
		Groups:   []string{},
		Roles:    []string{"all-datasets"},
		ClientID: g.clientID,
		Scope:    g.scope,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Audience:  jwt.ClaimStrings{s.issuer, s.apiAudience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        jti,
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(s.key)
	if err != nil {
		return tokenResponse{}, err
	}
	s.mu.Lock()
	pruneExpired(s.issued, now)
	maps.DeleteFunc(s.familyOf, func(jti, _ string) bool { _, live := s.issued[jti]; return !live })
	s.issued[jti] = exp
	if g.family != "" {
		s.familyOf[jti] = g.family
	}
	s.stats.TokensIssued++
	s.mu.Unlock()
	expiresAt := exp.Add(-s.margin)
	return tokenResponse{
		AccessToken: signed,
		TokenType:   "bearer",
		ExpiresAt:   expiresAt.Unix(),
		ExpiresIn:   int64(expiresAt.Sub(now) / time.Second),
	}, nil
}

// pruneExpired drops the entries of m whose expiry is not after now.
func pruneExpired(m map[string]time.Time, now time.Time) {
	maps.DeleteFunc(m, func(_ string, exp time.Time) bool { return !now.Before(exp) })
}

// logRefusal logs why a token request was refused. reason never holds a
// secret: it is one of this package's fixed descriptions.
func (s *Server) logRefusal(r *http.Request, reason, method string) {
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: token refused",
		slog.String("reason", reason), slog.String("method", method))
}
