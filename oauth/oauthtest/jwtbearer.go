package oauthtest

import (
	"crypto"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTBearerGrantType is the grant_type of the JWT bearer grant (RFC 7523
// 2.1).
const JWTBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// MaxAssertionLifetime bounds exp − iat of a JWT bearer assertion the fake
// accepts: RFC 7523 3 lets a server refuse one that lives unreasonably
// long, and an hour is what Google's token endpoint allows.
const MaxAssertionLifetime = time.Hour

// assertionAlgs are the algorithms the fake verifies assertions with.
var assertionAlgs = []string{"RS256", "PS256", "ES256", "EdDSA"}

// TrustIssuer makes the token endpoint accept JWT bearer assertions (RFC
// 7523 2.1) whose iss is issuer and that key verifies: an *rsa.PublicKey
// (RS256, PS256), an *ecdsa.PublicKey (ES256) or an ed25519.PublicKey
// (EdDSA). The assertion's sub names the user, by id or email.
func (s *Server) TrustIssuer(issuer string, key crypto.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trusted[issuer] = key
}

// errUntrustedIssuer is the keyfunc's answer for an iss nobody trusts.
var errUntrustedIssuer = errors.New("untrusted issuer")

// jwtBearerGrant serves grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
// (RFC 7523 2.1, 3). Client authentication is optional (RFC 7523 3.1) but
// checked when present.
func (s *Server) jwtBearerGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	var method AuthMethod
	var oerr *oauthError
	if _, _, basic := r.BasicAuth(); basic || form.Has("client_secret") || form.Has("client_assertion") {
		_, method, oerr = s.authenticateClient(r, form)
	}
	s.countTokenCall("jwt_bearer", method)
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return
	}
	u, problem := s.checkAssertion(r, form.Get("assertion"))
	if problem != "" {
		s.refuse(w, r, invalidGrant(problem), method)
		return
	}
	s.issueTo(w, r, u.ID, "jwt_bearer", method)
}

// checkAssertion verifies a JWT bearer assertion as RFC 7523 3 asks: a
// trusted iss and its key, a sub naming a user, an aud naming this server
// (its token endpoint or its issuer), exp in the future, at most
// MaxAssertionLifetime after iat, and a jti not seen before. The problem
// never quotes the assertion.
func (s *Server) checkAssertion(r *http.Request, assertion string) (User, string) {
	if assertion == "" {
		return User{}, "assertion is missing (RFC 7523 2.1)"
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods(assertionAlgs), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired(), jwt.WithIssuedAt()).
		ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
			iss, _ := t.Claims.GetIssuer()
			s.mu.Lock()
			defer s.mu.Unlock()
			if k, ok := s.trusted[iss]; ok {
				return k, nil
			}
			return nil, errUntrustedIssuer
		})
	switch {
	case errors.Is(err, errUntrustedIssuer):
		return User{}, "the assertion's iss is not a trusted issuer"
	case errors.Is(err, jwt.ErrTokenExpired):
		return User{}, "the assertion expired"
	case err != nil:
		return User{}, "the assertion is not a valid JWT signed by its issuer's key with " + strings.Join(assertionAlgs, ", ")
	case !slices.Contains(claims.Audience, s.tokenURL(r)) && !slices.Contains(claims.Audience, s.issuer):
		return User{}, "the assertion's aud must name this server: " + s.tokenURL(r)
	case claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > MaxAssertionLifetime:
		return User{}, "the assertion needs iat, and exp at most an hour after it"
	case claims.ID == "" || !s.useJTI("jwt-bearer "+claims.Issuer+" "+claims.ID, claims.ExpiresAt.Time):
		return User{}, "the assertion needs a jti never used before"
	}
	u, ok := s.userByIDOrEmail(claims.Subject)
	if !ok {
		return User{}, "the assertion's sub names no user"
	}
	return u, ""
}

func (s *Server) userByIDOrEmail(sub string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.usersByID[sub]; ok {
		return u.User, true
	}
	if u, ok := s.users[sub]; ok {
		return u.User, true
	}
	return User{}, false
}
