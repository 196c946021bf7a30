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

// Outcomes of a token check that are not error codes the seed sends as
// its ApiError with a 401.
const (
	outcomeUnavailable = CodeServiceUnavailable // Redis is down: the seed's ApiError, with a 503
	outcomeCrash       = "crash"                // the seed's code raises an error it does not handle: a 500
)

// decode checks token as connexion's x-bearerInfoFunc does in the seed
// (decode_token, decode_refresh_token): the revocation set (token-invalid;
// service unavailable while Redis is down), then the signature with the
// kind's secret (token-invalid) and exp (token-expired). It returns the
// claims, or the outcome.
func (s *Server) decode(token string, kind tokenKind) (*Claims, string) {
	revoked, err := s.isRevoked(token)
	switch {
	case err != nil:
		return nil, outcomeUnavailable
	case revoked:
		return nil, CodeTokenInvalid
	}
	c, err := s.parse(token, kind, true)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, CodeTokenExpired
	case err != nil:
		return nil, CodeTokenInvalid
	}
	return c, ""
}

// permission checks the claims as the seed's permission() and
// verify_payload() do: a known private claim and its user_id
// (token-invalid), then the role against min (authorisation-required; a
// role the seed does not know makes its code fail with a KeyError, a 500).
func permission(c *Claims, min Role) string {
	switch {
	case !c.StandardClaim && !c.RefreshClaim, c.UserID == 0:
		return CodeTokenInvalid
	case c.AccessRole.level() == 0:
		return outcomeCrash
	case c.AccessRole.level() < min.level():
		return CodeAuthorisationRequired
	}
	return ""
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

// secured guards next as the seed's endpoints are guarded, in their order:
// connexion's security scheme (no bearer token is its 401 problem; then
// [Server.decode]), connexion's check of the parameters (params, if set,
// returns the problem detail of a bad request), then the seed's
// permission() as the endpoint's first line.
func (s *Server) secured(kind tokenKind, min Role, params func(*http.Request) string, next securedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r)
		if !ok {
			s.reject(w, r, "")
			return
		}
		c, outcome := s.decode(token, kind)
		if outcome == "" && params != nil {
			if detail := params(r); detail != "" {
				writeProblem(w, http.StatusBadRequest, detail)
				return
			}
		}
		if outcome == "" {
			outcome = permission(c, min)
		}
		if outcome != "" {
			s.reject(w, r, outcome)
			return
		}
		next(w, r, c, token)
	})
}

// requireQuery returns connexion's check of a required query parameter.
func requireQuery(name string) func(*http.Request) string {
	return func(r *http.Request) string {
		if r.URL.Query().Get(name) == "" {
			return "Missing query parameter '" + name + "'"
		}
		return ""
	}
}

// reject counts and writes a rejection: connexion's 401 problem when
// outcome is empty (no token), a 503 while Redis is down, a 500 where the
// seed's code fails, the seed's 401 error JSON otherwise.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, outcome string) {
	s.count(outcome)
	switch outcome {
	case "":
		s.logger.Info("jwtapitest: rejected", "path", r.URL.Path, "reason", "no bearer token")
		writeProblem(w, http.StatusUnauthorized, NoTokenDetail)
	case outcomeUnavailable:
		s.logger.Info("jwtapitest: rejected", "path", r.URL.Path, "reason", "redis is down")
		writeError(w, http.StatusServiceUnavailable, outcomeUnavailable)
	case outcomeCrash:
		s.logger.Info("jwtapitest: failed as the seed's code does", "path", r.URL.Path)
		writeProblem(w, http.StatusInternalServerError, internalErrorDetail)
	default:
		s.logger.Info("jwtapitest: rejected", "path", r.URL.Path, "code", outcome)
		writeError(w, http.StatusUnauthorized, outcome)
	}
}

// count adds an answer of outcome to the stats.
func (s *Server) count(outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch outcome {
	case "":
		s.stats.NoToken++
	case CodeTokenExpired:
		s.stats.TokenExpired++
	case CodeTokenInvalid:
		s.stats.TokenInvalid++
	case CodeAuthorisationRequired:
		s.stats.AuthorisationRequired++
	case outcomeUnavailable:
		s.stats.Unavailable++
	case outcomeCrash:
		s.stats.Crashes++
	}
}
