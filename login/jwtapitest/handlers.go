package jwtapitest

import (
	"errors"
	"net/http"
	"strconv"
)

// LoginResponse is the body of signup and login (the seed's
// UserLoginResponse): the access token, the refresh token and the user.
type LoginResponse struct {
	Email        string `json:"email"`
	RefreshToken string `json:"refresh_token"`
	Token        string `json:"token"`
	UserID       int    `json:"user_id"`
}

// RefreshResponse is the body of generate_tokens: a new access token, a new
// refresh token, and the user id under "user", as the seed's endpoint writes it.
type RefreshResponse struct {
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

// errUserExists is signup's answer for a taken email.
var errUserExists = errors.New("user exists")

// handleSignup serves POST /users/v1/signup: it creates a user and, as the
// seed's text says, returns tokens as login does.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	c, ok := readCredentials(w, r, true)
	if !ok {
		return
	}
	resp, err := s.signup(c)
	switch {
	case errors.Is(err, errUserExists):
		s.logger.Info("jwtapitest: signup rejected", "email", c.email, "code", CodeUserAlreadyExists)
		writeError(w, http.StatusBadRequest, CodeUserAlreadyExists)
	case err != nil:
		writeError(w, http.StatusInternalServerError, "token-generation-failure")
	default:
		s.logger.Info("jwtapitest: signup", "email", c.email, "user_id", resp.UserID)
		writeJSON(w, http.StatusOK, "application/json", resp)
	}
}

func (s *Server) signup(c credentials) (LoginResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.addUserLocked(c.email, c.password, c.role)
	if !ok {
		return LoginResponse{}, errUserExists
	}
	resp, err := s.startSessionLocked(u)
	if err == nil {
		s.stats.Signups++
	}
	return resp, err
}

// handleLogin serves POST /users/v1/login. An unknown email and a wrong
// password both get 404 not-found: the seed's login turns every lookup
// failure into not-found.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	c, ok := readCredentials(w, r, false)
	if !ok {
		s.countFailedLogin()
		return
	}
	resp, found, err := s.login(c)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, "token-generation-failure")
	case !found:
		s.logger.Info("jwtapitest: login rejected", "email", c.email, "code", CodeNotFound)
		writeError(w, http.StatusNotFound, CodeNotFound)
	default:
		s.logger.Info("jwtapitest: login", "email", c.email, "user_id", resp.UserID)
		writeJSON(w, http.StatusOK, "application/json", resp)
	}
}

func (s *Server) login(c credentials) (LoginResponse, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byEmail[c.email]
	if !ok || !samePassword(u, c.password) {
		s.stats.LoginsFailed++
		return LoginResponse{}, false, nil
	}
	resp, err := s.startSessionLocked(u)
	if err != nil {
		s.stats.LoginsFailed++
		return LoginResponse{}, false, err
	}
	s.stats.Logins++
	return resp, true, nil
}

func (s *Server) countFailedLogin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.LoginsFailed++
}

// startSessionLocked issues an access and a refresh token for u and, as the
// seed's login does, revokes the refresh token of the previous login.
// s.mu must be held.
func (s *Server) startSessionLocked(u *user) (LoginResponse, error) {
	access, err := s.issue(u, accessToken)
	if err != nil {
		return LoginResponse{}, err
	}
	refresh, err := s.issue(u, refreshToken)
	if err != nil {
		return LoginResponse{}, err
	}
	if u.refresh != "" {
		s.revoked[tokenKey(u.refresh)] = struct{}{}
	}
	u.refresh = refresh
	return LoginResponse{Email: u.email, RefreshToken: refresh, Token: access, UserID: u.id}, nil
}

// handleLogout serves GET /users/v1/logout: it revokes the access token it
// was called with and the user's current refresh token, and answers {}.
func (s *Server) handleLogout(w http.ResponseWriter, _ *http.Request, c *Claims, token string) {
	s.mu.Lock()
	s.revoked[tokenKey(token)] = struct{}{}
	if u := s.userLocked(c.UserID); u != nil && u.refresh != "" {
		s.revoked[tokenKey(u.refresh)] = struct{}{}
		u.refresh = ""
	}
	s.stats.Logouts++
	s.mu.Unlock()
	s.logger.Info("jwtapitest: logout", "user_id", c.UserID)
	writeJSON(w, http.StatusOK, "application/json", struct{}{})
}

// handleGenerateTokens serves GET /users/v1/generate_tokens, called with a
// refresh token: it revokes that refresh token (and the access token named
// by the optional old_access_token query parameter, if it is the same
// user's) and returns a new pair carrying the user's current role.
func (s *Server) handleGenerateTokens(w http.ResponseWriter, r *http.Request, c *Claims, token string) {
	resp, code, err := s.rotate(c, token, r.URL.Query().Get("old_access_token"))
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, "token-generation-failure")
	case code == CodeTokenInvalid:
		s.reject(w, r, code)
	case code != "":
		writeError(w, http.StatusNotFound, code)
	default:
		s.logger.Info("jwtapitest: tokens refreshed", "user_id", c.UserID)
		writeJSON(w, http.StatusOK, "application/json", resp)
	}
}

func (s *Server) rotate(c *Claims, token, oldAccess string) (RefreshResponse, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked again under the lock: of two refreshes with one token, one wins.
	if _, used := s.revoked[tokenKey(token)]; used {
		return RefreshResponse{}, CodeTokenInvalid, nil
	}
	u := s.userLocked(c.UserID)
	if u == nil {
		return RefreshResponse{}, CodeUserNotFound, nil
	}
	access, err := s.issue(u, accessToken)
	if err != nil {
		return RefreshResponse{}, "", err
	}
	refresh, err := s.issue(u, refreshToken)
	if err != nil {
		return RefreshResponse{}, "", err
	}
	s.revoked[tokenKey(token)] = struct{}{}
	if old, err := s.parse(oldAccess, accessToken, false); oldAccess != "" && err == nil && old.UserID == u.id {
		s.revoked[tokenKey(oldAccess)] = struct{}{}
	}
	u.refresh = refresh
	s.stats.Refreshes++
	return RefreshResponse{RefreshToken: refresh, Token: access, User: u.id}, "", nil
}

// handleFilms serves GET /films/v1/, for any signed-in user.
func (s *Server) handleFilms(w http.ResponseWriter, _ *http.Request, _ *Claims, _ string) {
	results := films()
	writeJSON(w, http.StatusOK, "application/json", FilmList{Count: len(results), Results: results})
}

// handleFilm serves GET /films/v1/{film_id}, for any signed-in user.
func (s *Server) handleFilm(w http.ResponseWriter, r *http.Request, _ *Claims, _ string) {
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
	s.secured(accessToken, RoleAdmin, func(w http.ResponseWriter, _ *http.Request, _ *Claims, _ string) {
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
