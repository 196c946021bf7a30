package jwtapitest

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
)

// LoginResponse is the body of login (the seed's UserLoginResponse): the
// access token, the refresh token and the user, for a test to decode the
// server's answer into. The tokens are secrets: they print, log and
// marshal as REDACTED; Reveal gives them.
type LoginResponse struct {
	Email        string        `json:"email"`
	RefreshToken secret.String `json:"refresh_token"`
	Token        secret.String `json:"token"`
	UserID       int           `json:"user_id"`
}

// RefreshResponse is the body of generate_tokens: a new access token, a
// new refresh token, and the user id under "user", as the seed's endpoint
// writes it. The tokens are secrets, as in [LoginResponse].
type RefreshResponse struct {
	RefreshToken secret.String `json:"refresh_token"`
	Token        secret.String `json:"token"`
	User         int           `json:"user"`
}

// loginAnswer is a LoginResponse as the server writes it, sorted as
// Flask's jsonify sorts keys.
type loginAnswer struct {
	Email        string `json:"email"`
	RefreshToken string `json:"refresh_token"`
	Token        string `json:"token"`
	UserID       int    `json:"user_id"`
}

// refreshAnswer is a RefreshResponse as the server writes it.
type refreshAnswer struct {
	RefreshToken string `json:"refresh_token"`
	Token        string `json:"token"`
	User         int    `json:"user"`
}

// User is the body of GET /users/v1/{user_id}.
type User struct {
	AccessRole Role   `json:"access_role"`
	Email      string `json:"email"`
	UserID     int    `json:"user_id"`
}

// empty is the seed's api_response() without a payload: {}.
type empty struct{}

// handleSignup serves POST /users/v1/signup: it creates an account whose
// email is not verified yet, and answers {}, as the seed's signup does.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	c, ok := readCredentials(w, r, true)
	if !ok {
		return
	}
	s.mu.Lock()
	u, created := s.addUserLocked(c.email, c.password, c.role)
	if created {
		s.stats.Signups++
	}
	s.mu.Unlock()
	if !created {
		s.logger.Info("jwtapitest: signup refused", "email", c.email, "code", CodeUserAlreadyExists)
		writeError(w, http.StatusBadRequest, CodeUserAlreadyExists)
		return
	}
	s.logger.Info("jwtapitest: signup", "email", c.email, "user_id", u.id)
	writeJSON(w, http.StatusOK, "application/json", empty{})
}

// handleLogin serves POST /users/v1/login, in the order of the seed's
// UserDacc.login: an unknown email and a wrong password are both 404
// not-found; then a user still logged in is 400 user-already-logged-in,
// an unverified email 400 email-unverified.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	c, ok := readCredentials(w, r, false)
	if !ok {
		s.countFailedLogin("")
		return
	}
	resp, outcome := s.login(c)
	switch outcome {
	case "":
		s.logger.Info("jwtapitest: login", "email", c.email, "user_id", resp.UserID)
		writeJSON(w, http.StatusOK, "application/json", resp)
	case outcomeCrash:
		s.logger.Info("jwtapitest: login failed as the seed's code does", "email", c.email)
		writeProblem(w, http.StatusInternalServerError, internalErrorDetail)
	case CodeNotFound:
		s.logger.Info("jwtapitest: login refused", "email", c.email, "code", outcome)
		writeError(w, http.StatusNotFound, outcome)
	default:
		s.logger.Info("jwtapitest: login refused", "email", c.email, "code", outcome)
		writeError(w, http.StatusBadRequest, outcome)
	}
}

// login checks the credentials and the account, and starts a session.
func (s *Server) login(c credentials) (loginAnswer, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byEmail[c.email]
	var outcome string
	switch {
	case !ok || !samePassword(u, c.password):
		outcome = CodeNotFound
	case u.loggedIn:
		outcome = CodeUserAlreadyLoggedIn
	case !u.verified:
		outcome = CodeEmailUnverified
	}
	if outcome != "" {
		s.countFailedLoginLocked(outcome)
		return loginAnswer{}, outcome
	}
	access, refresh, err := s.newTokensLocked(u)
	if err != nil {
		s.countFailedLoginLocked(outcomeCrash)
		return loginAnswer{}, outcomeCrash
	}
	u.loggedIn = true
	s.stats.Logins++
	return loginAnswer{Email: u.email, RefreshToken: refresh, Token: access, UserID: u.id}, ""
}

func (s *Server) countFailedLogin(outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countFailedLoginLocked(outcome)
}

func (s *Server) countFailedLoginLocked(outcome string) {
	s.stats.LoginsFailed++
	switch outcome {
	case CodeUserAlreadyLoggedIn:
		s.stats.AlreadyLoggedIn++
	case outcomeCrash:
		s.stats.Crashes++
	}
}

// newTokensLocked is the seed's UserDacc.generate_new_tokens without an
// old access token: it revokes u's stored refresh token (failing while
// Redis is down, an error the seed does not catch), issues an access token
// and a refresh token with u's current role, and stores the refresh
// token. s.mu must be held.
func (s *Server) newTokensLocked(u *user) (access, refresh string, err error) {
	if u.refresh != "" {
		if err := s.revokeLocked(u.refresh); err != nil {
			return "", "", err
		}
	}
	if access, err = s.issue(u, accessToken); err != nil {
		return "", "", err
	}
	if refresh, err = s.issue(u, refreshToken); err != nil {
		return "", "", err
	}
	u.refresh = refresh
	return access, refresh, nil
}

// handleLogout serves GET /users/v1/logout: the seed checks the header
// for "Bearer " itself, revokes the access token, and marks the user
// logged out. The refresh token stays valid, as in the seed.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, c *Claims, token string) {
	if !strings.Contains(r.Header.Get("Authorization"), "Bearer ") {
		writeError(w, http.StatusBadRequest, MessageAuthorisationRequired)
		return
	}
	s.mu.Lock()
	err := s.revokeLocked(token)
	if u := s.userLocked(c.UserID); err == nil && u != nil {
		u.loggedIn = false
		s.stats.Logouts++
	}
	s.mu.Unlock()
	if err != nil {
		s.reject(w, r, outcomeCrash)
		return
	}
	s.logger.Info("jwtapitest: logout", "user_id", c.UserID)
	writeJSON(w, http.StatusOK, "application/json", empty{})
}

// handleGenerateTokens serves GET /users/v1/generate_tokens, called with a
// refresh token and the access token it replaces as old_access_token, as
// the seed's generate_new_tokens does it: it revokes the old access token
// and the user's stored refresh token and returns a new pair with the
// user's current role. An old_access_token that has expired makes the
// seed's code fail (its payload is never assigned): a 500.
func (s *Server) handleGenerateTokens(w http.ResponseWriter, r *http.Request, c *Claims, token string) {
	resp, status, outcome := s.rotate(c, token, r.URL.Query().Get("old_access_token"))
	switch {
	case outcome == "":
		s.logger.Info("jwtapitest: tokens refreshed", "user_id", c.UserID)
		writeJSON(w, http.StatusOK, "application/json", resp)
	case status == http.StatusForbidden:
		s.count(outcome)
		s.logger.Info("jwtapitest: refresh refused: the old access token is another user's", "user_id", c.UserID)
		writeError(w, status, outcome)
	default:
		s.reject(w, r, outcome)
	}
}

// rotate is generate_new_tokens. It returns the answer, or the status and
// outcome of a failure.
func (s *Server) rotate(c *Claims, token, oldAccess string) (refreshAnswer, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked again under the lock: of two refreshes with one token, one
	// wins, as when the seed's server answers them one after the other.
	if _, used := s.revoked[tokenKey(token)]; used {
		return refreshAnswer{}, http.StatusUnauthorized, CodeTokenInvalid
	}
	old, err := s.parse(oldAccess, accessToken, true)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return refreshAnswer{}, http.StatusInternalServerError, outcomeCrash
	case err != nil:
		return refreshAnswer{}, http.StatusUnauthorized, CodeTokenInvalid
	}
	if err := s.revokeLocked(oldAccess); err != nil {
		return refreshAnswer{}, http.StatusInternalServerError, outcomeCrash
	}
	u := s.userLocked(c.UserID)
	switch {
	case old.UserID != c.UserID:
		return refreshAnswer{}, http.StatusForbidden, CodeTokenInvalid
	case u == nil:
		return refreshAnswer{}, http.StatusInternalServerError, outcomeCrash // the seed's [0] of no rows
	}
	access, refresh, err := s.newTokensLocked(u)
	if err != nil {
		return refreshAnswer{}, http.StatusInternalServerError, outcomeCrash
	}
	s.stats.Refreshes++
	return refreshAnswer{RefreshToken: refresh, Token: access, User: u.id}, http.StatusOK, ""
}

// handleFilms serves GET /films/v1/, for any signed-in user.
func (s *Server) handleFilms(w http.ResponseWriter, _ *http.Request, _ *Claims, _ string) {
	results := films()
	writeJSON(w, http.StatusOK, "application/json", FilmList{Count: len(results), Results: results})
}

// handleFilm serves GET /films/v1/{film_id}, which the seed leaves
// unsecured.
func (s *Server) handleFilm(w http.ResponseWriter, r *http.Request) {
	for i, f := range films() {
		if r.PathValue("film_id") == strconv.Itoa(i+1) {
			writeJSON(w, http.StatusOK, "application/json", f)
			return
		}
	}
	writeError(w, http.StatusNotFound, CodeNotFound)
}

// handleGetUser serves GET /users/v1/{user_id}, for admins only. A user_id
// that is not a whole number matches no route, as with Flask's int converter.
func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("user_id")
	if raw == "" || !isDigits(raw) {
		writeProblem(w, http.StatusNotFound, notFoundDetail)
		return
	}
	id, err := strconv.Atoi(raw)
	if err != nil {
		id = 0 // too large to be anyone: not-found, once the token passes
	}
	s.secured(accessToken, RoleAdmin, nil, func(w http.ResponseWriter, _ *http.Request, _ *Claims, _ string) {
		s.mu.Lock()
		u := s.userLocked(id)
		var out User
		if u != nil {
			out = User{AccessRole: u.role, Email: u.email, UserID: u.id}
		}
		s.mu.Unlock()
		if u == nil {
			writeError(w, http.StatusNotFound, CodeNotFound)
			return
		}
		writeJSON(w, http.StatusOK, "application/json", out)
	}).ServeHTTP(w, r)
}

// userLocked returns the user with this id, or nil. s.mu must be held.
func (s *Server) userLocked(id int) *user {
	if id < 1 || id > len(s.users) {
		return nil
	}
	return s.users[id-1]
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
