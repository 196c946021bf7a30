package oauthtest

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/bearer-go/bearer/internal/kit"
	"github.com/golang-jwt/jwt/v5"
)

func (s *Server) newAuthMux() *http.ServeMux {
	mux := http.NewServeMux()
	p := s.paths
	mux.HandleFunc(p.TokenEndpoint, s.allow(s.handleToken, http.MethodPost))
	mux.HandleFunc(p.UsersMe, s.allow(s.handleMe, http.MethodGet))
	mux.HandleFunc(p.Clients+"{$}", s.allow(s.handleCreateClient, http.MethodPost))
	mux.HandleFunc(p.AuthorizationEndpoint, s.allow(s.handleAuthorize, http.MethodGet))
	mux.HandleFunc(p.IntrospectionEndpoint, s.allow(s.handleIntrospect, http.MethodPost))
	mux.HandleFunc(p.RevocationEndpoint, s.allow(s.handleRevoke, http.MethodPost))
	mux.HandleFunc(p.DeviceAuthorizationEndpoint, s.allow(s.handleDeviceAuthorization, http.MethodPost))
	mux.HandleFunc(p.VerificationURI, s.allow(s.handleDeviceVerification, http.MethodGet))
	s.handleMetadata(mux)
	mux.HandleFunc("/", s.notFound)
	return mux
}

func (s *Server) newAPIMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc(EchoPath, s.allow(s.handleEcho, http.MethodGet, http.MethodPost))
	mux.HandleFunc("/", s.notFound)
	return mux
}

// handleMe serves GET [Paths.UsersMe].
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, s.issuer)
	if !ok {
		return
	}
	s.writeJSON(w, http.StatusOK, u)
}

// createdClient is the answer of POST [Paths.Clients], as Climate Engine
// answers it: the one place a client's secret is shown.
type createdClient struct {
	UserID       string `json:"user_id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// handleCreateClient serves POST [Paths.Clients]: a new client of the
// token's user, whose secret this answer is the only one to show.
func (s *Server) handleCreateClient(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, s.issuer)
	if !ok {
		return
	}
	c, err := s.AddClient(Client{UserID: u.ID})
	if err != nil { // only if a random UUID collides
		s.writeJSON(w, http.StatusInternalServerError, detail{Detail: "Internal Server Error"})
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: client created",
		slog.String("user_id", u.ID), slog.String("client_id", c.ClientID))
	noStore(w)
	s.writeJSON(w, http.StatusCreated, createdClient{UserID: c.UserID, ClientID: c.ClientID, ClientSecret: c.ClientSecret.Reveal()})
}

// echoResponse is the answer of [EchoPath]: what the API understood of the
// request.
type echoResponse struct {
	UserID string          `json:"user_id"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  url.Values      `json:"query"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// handleEcho serves GET and POST [EchoPath] on the API side. A POST body,
// if any, must be JSON; it is echoed back.
func (s *Server) handleEcho(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, s.apiAudience)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		s.writeBodyError(w, err)
		return
	}
	if len(body) > 0 && !json.Valid(body) {
		s.writeJSON(w, http.StatusUnprocessableEntity, detail{Detail: "the body must be JSON"})
		return
	}
	s.writeJSON(w, http.StatusOK, echoResponse{UserID: u.ID, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body})
}

// authorize checks the request's bearer token for the audience and returns
// its user. Otherwise it answers 401 {"detail":"Unauthorized"} with an RFC
// 6750 section 3 challenge and reports false.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, audience string) (User, bool) {
	u, problem := s.checkBearer(r, audience)
	if problem == "" {
		return u, true
	}
	challenge := "Bearer"
	if problem != errNoToken {
		challenge = `Bearer error="invalid_token", error_description="` + problem + `"`
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: bearer token refused",
		slog.String("path", r.URL.Path), slog.String("reason", problem))
	w.Header().Set("WWW-Authenticate", challenge)
	s.writeJSON(w, http.StatusUnauthorized, detail{Detail: "Unauthorized"})
	return User{}, false
}

// errNoToken is checkBearer's problem for a request without a token: RFC
// 6750 section 3.1 gives it a challenge without an error code.
const errNoToken = "no bearer token"

// checkBearer returns the user of the request's access token, or a
// description of what is wrong with it. The description never quotes the
// token.
func (s *Server) checkBearer(r *http.Request, audience string) (User, string) {
	tok, ok := kit.BearerToken(r)
	if !ok {
		return User{}, errNoToken
	}
	u, _, problem := s.checkAccess(tok, audience)
	return u, problem
}

// checkAccess returns the user and claims of a live access token for the
// audience, or a description of what is wrong with it.
func (s *Server) checkAccess(tok, audience string) (User, *accessClaims, string) {
	claims := &accessClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(), jwt.WithIssuer(s.issuer), jwt.WithAudience(audience))
	_, err := parser.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return User{}, nil, "the access token expired"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return User{}, nil, "the access token is not meant for this service"
	case err != nil:
		return User{}, nil, "the access token is malformed or not signed by this server"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, live := s.issued[claims.ID]; !live {
		return User{}, nil, "the access token was revoked"
	}
	u, ok := s.usersByID[claims.UserID]
	if !ok {
		return User{}, nil, "the access token's user does not exist"
	}
	return u.User, claims, ""
}
