package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AuthMethod is a client authentication method of the token endpoint, as
// named by the OAuth registry (RFC 7591 section 2).
type AuthMethod string

// The client authentication methods the fake accepts.
const (
	// ClientSecretBasic: client id and secret in an HTTP Basic header, each
	// form-url-encoded first (RFC 6749 section 2.3.1).
	ClientSecretBasic AuthMethod = "client_secret_basic"
	// ClientSecretPost: client_id and client_secret form parameters.
	ClientSecretPost AuthMethod = "client_secret_post"
	// ClientSecretJWT: an HS256 JWT signed with the client secret in
	// client_assertion (RFC 7523 section 2.2, OpenID Connect Core section 9).
	ClientSecretJWT AuthMethod = "client_secret_jwt"
)

// JWTBearerAssertionType is the client_assertion_type of client_secret_jwt
// (RFC 7523 section 2.2).
const JWTBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// errNoSuchClient is the keyfunc's answer for an assertion whose iss names
// no client.
var errNoSuchClient = errors.New("no such client")

// authenticateClient finds which method the request uses and checks it.
// The method is empty when the request uses none or several.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (Client, AuthMethod, *oauthError) {
	var methods []AuthMethod
	if _, _, ok := r.BasicAuth(); ok {
		methods = append(methods, ClientSecretBasic)
	}
	if form.Has("client_secret") {
		methods = append(methods, ClientSecretPost)
	}
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		methods = append(methods, ClientSecretJWT)
	}
	switch len(methods) {
	case 0:
		e := invalidClient("client authentication is required: use client_secret_basic, client_secret_post or client_secret_jwt")
		e.basic = true
		return Client{}, "", e
	case 1:
	default:
		return Client{}, "", invalidRequest("the request uses more than one client authentication method; RFC 6749 section 2.3 allows one")
	}
	var c Client
	var err *oauthError
	switch methods[0] {
	case ClientSecretBasic:
		c, err = s.authBasic(r, form)
	case ClientSecretPost:
		c, err = s.authPost(form)
	case ClientSecretJWT:
		c, err = s.authJWT(r, form)
	}
	return c, methods[0], err
}

// authBasic checks client_secret_basic. The id and secret are decoded with
// the form-urlencoded rules ('+' is a space) before they are compared, as
// RFC 6749 section 2.3.1 requires.
func (s *Server) authBasic(r *http.Request, form url.Values) (Client, *oauthError) {
	rawID, rawSecret, _ := r.BasicAuth()
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil {
		e := invalidClient("the client id and secret in the Basic header must be form-url-encoded before base64 (RFC 6749 section 2.3.1)")
		e.basic = true
		return Client{}, e
	}
	if form.Has("client_id") && form.Get("client_id") != id {
		return Client{}, invalidRequest("client_id in the body differs from the one in the Basic header")
	}
	c, ok := s.checkSecret(id, secret)
	if !ok {
		e := invalidClient("unknown client or wrong client secret")
		e.basic = true
		return Client{}, e
	}
	return c, nil
}

// authPost checks client_secret_post.
func (s *Server) authPost(form url.Values) (Client, *oauthError) {
	if !form.Has("client_id") {
		return Client{}, invalidRequest("client_secret_post needs client_id with client_secret")
	}
	c, ok := s.checkSecret(form.Get("client_id"), form.Get("client_secret"))
	if !ok {
		return Client{}, invalidClient("unknown client or wrong client secret")
	}
	return c, nil
}

func (s *Server) checkSecret(id, secret string) (Client, bool) {
	c, ok := s.client(id)
	if !ok {
		return Client{}, false
	}
	want := sha256.Sum256([]byte(c.ClientSecret.Reveal()))
	got := sha256.Sum256([]byte(secret))
	return c, subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// authJWT checks client_secret_jwt: an HS256 assertion signed with the
// client secret whose iss and sub are the client id, whose aud holds the
// token endpoint's URL, which has not expired, and whose jti has not been
// seen before (RFC 7523 section 3).
func (s *Server) authJWT(r *http.Request, form url.Values) (Client, *oauthError) {
	if form.Get("client_assertion_type") != JWTBearerAssertionType {
		return Client{}, invalidClient("client_assertion_type must be " + JWTBearerAssertionType)
	}
	if !form.Has("client_assertion") {
		return Client{}, invalidRequest("client_assertion is missing")
	}
	aud := s.tokenURL(r)
	var c Client
	claims := &jwt.RegisteredClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(), jwt.WithAudience(aud))
	_, err := parser.ParseWithClaims(form.Get("client_assertion"), claims, func(t *jwt.Token) (any, error) {
		iss, _ := t.Claims.GetIssuer()
		var ok bool
		if c, ok = s.client(iss); !ok {
			return nil, errNoSuchClient
		}
		return []byte(c.ClientSecret.Reveal()), nil
	})
	if err != nil {
		return Client{}, invalidClient(assertionProblem(err, aud))
	}
	if claims.Subject != c.ClientID {
		return Client{}, invalidClient("client assertion sub must equal its iss, the client id")
	}
	if form.Has("client_id") && form.Get("client_id") != c.ClientID {
		return Client{}, invalidClient("client_id differs from the client assertion's iss")
	}
	if claims.ID == "" {
		return Client{}, invalidClient("client assertion needs a jti")
	}
	if !s.useJTI(c.ClientID+" "+claims.ID, claims.ExpiresAt.Time) {
		return Client{}, invalidClient("client assertion jti was already used; sign a new assertion for each request")
	}
	return c, nil
}

// useJTI records an assertion's jti and reports whether it was unused.
// Entries are forgotten once their assertion has expired: it can no longer
// be replayed then.
func (s *Server) useJTI(key string, exp time.Time) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	pruneExpired(s.usedJTIs, now)
	if _, used := s.usedJTIs[key]; used {
		return false
	}
	s.usedJTIs[key] = exp
	return true
}

// assertionProblem describes why an assertion failed without quoting it.
func assertionProblem(err error, aud string) string {
	switch {
	case errors.Is(err, errNoSuchClient):
		return "client assertion iss names no client"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "client assertion has expired"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "client assertion needs exp and aud"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "client assertion aud must include " + aud
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "client assertion signature is invalid: sign an HS256 JWT with the client secret"
	default:
		return "client assertion is not a valid JWT"
	}
}

// tokenURL is the URL of the token endpoint as the request reached it: the
// audience a client assertion must name.
func (s *Server) tokenURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.paths.TokenEndpoint
}
