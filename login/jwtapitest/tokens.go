package jwtapitest

import (
	"errors"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// tokenKind says which secret signs a token and which private claim it carries.
type tokenKind int

const (
	accessToken  tokenKind = iota // standard_claim, signed with the access secret (JWT_SECRET)
	refreshToken                  // refresh_claim, signed with the refresh secret (JWT_REFRESH_SECRET)
)

// Claims is the payload of the server's tokens: the seed's private claims
// user_id and access_role, its standard_claim or refresh_claim marker, and
// the registered claims iss, exp, iat and sub (a random UUID).
type Claims struct {
	jwt.RegisteredClaims
	AccessRole    Role `json:"access_role"`
	UserID        int  `json:"user_id"`
	StandardClaim bool `json:"standard_claim,omitempty"` // set on access tokens
	RefreshClaim  bool `json:"refresh_claim,omitempty"`  // set on refresh tokens
}

// secret returns the HS256 key of tokens of this kind.
func (s *Server) secret(kind tokenKind) []byte {
	if kind == refreshToken {
		return s.refreshSecret
	}
	return s.accessSecret
}

// issue signs a new token of this kind for u, valid from now for the kind's
// lifetime. s.mu must be held (it reads u).
func (s *Server) issue(u *user, kind tokenKind) (string, error) {
	sub, err := uuid4()
	if err != nil {
		return "", err
	}
	now := s.now()
	ttl := s.accessTTL
	if kind == refreshToken {
		ttl = s.refreshTTL
	}
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   sub,
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			IssuedAt:  jwt.NewNumericDate(now),
		},
		AccessRole:    u.role,
		UserID:        u.id,
		StandardClaim: kind == accessToken,
		RefreshClaim:  kind == refreshToken,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret(kind))
}

// verify checks token as the seed does, in its order: the revocation set
// (token-invalid), the signature with the kind's secret (token-invalid), exp
// (token-expired), the kind's private claims (token-invalid), and the role
// against min (authorisation-required). It returns the claims, or the error code.
func (s *Server) verify(token string, kind tokenKind, min Role) (*Claims, string) {
	if s.isRevoked(token) {
		return nil, CodeTokenInvalid
	}
	c, err := s.parse(token, kind, true)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, CodeTokenExpired
	case err != nil:
		return nil, CodeTokenInvalid
	case kind == accessToken && !c.StandardClaim, kind == refreshToken && !c.RefreshClaim, c.UserID == 0:
		return nil, CodeTokenInvalid
	case c.AccessRole.level() == 0:
		// The seed fails here with a KeyError and a 500; a bad role is a bad token.
		return nil, CodeTokenInvalid
	case c.AccessRole.level() < min.level():
		return nil, CodeAuthorisationRequired
	}
	return c, ""
}

// parse checks token's HS256 signature with the kind's secret and, when
// validate is set, its exp and iat on the server's clock.
func (s *Server) parse(token string, kind tokenKind, validate bool) (*Claims, error) {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()})}
	if validate {
		opts = append(opts, jwt.WithTimeFunc(s.now), jwt.WithIssuedAt())
	} else {
		opts = append(opts, jwt.WithoutClaimsValidation())
	}
	c := &Claims{}
	key := s.secret(kind)
	_, err := jwt.ParseWithClaims(token, c, func(*jwt.Token) (any, error) { return key, nil }, opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// bearerToken returns the token of an "Authorization: Bearer" header, read
// as connexion reads it: scheme and value split at the first space, the
// scheme in any case.
func bearerToken(r *http.Request) (string, bool) {
	scheme, value, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	value = strings.TrimSpace(value)
	return value, value != ""
}

// securedHandler is an endpoint behind [Server.secured]: it gets the
// verified claims and the token they came from.
type securedHandler func(w http.ResponseWriter, r *http.Request, c *Claims, token string)

// secured guards next as connexion's security scheme and the seed's
// permission() do: no bearer token is connexion's 401 problem; a token that
// fails [Server.verify] is a 401 with the seed's error code.
func (s *Server) secured(kind tokenKind, min Role, next securedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r)
		if !ok {
			s.reject(w, r, "")
			return
		}
		c, code := s.verify(token, kind, min)
		if code != "" {
			s.reject(w, r, code)
			return
		}
		next(w, r, c, token)
	})
}

// reject counts and writes a 401: connexion's problem when code is empty
// (no token), the seed's error JSON otherwise.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, code string) {
	s.mu.Lock()
	switch code {
	case "":
		s.stats.NoToken++
	case CodeTokenExpired:
		s.stats.TokenExpired++
	case CodeTokenInvalid:
		s.stats.TokenInvalid++
	case CodeAuthorisationRequired:
		s.stats.AuthorisationRequired++
	}
	s.mu.Unlock()
	if code == "" {
		s.logger.Info("jwtapitest: rejected", "path", r.URL.Path, "reason", "no bearer token")
		writeProblem(w, http.StatusUnauthorized, NoTokenDetail)
		return
	}
	s.logger.Info("jwtapitest: rejected", "path", r.URL.Path, "code", code)
	writeError(w, http.StatusUnauthorized, code)
}
