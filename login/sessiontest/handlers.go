package sessiontest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"time"
)

// Realms of the WWW-Authenticate challenges. The first three are the seed's.
const (
	realmLoginRequired     = "Login required"
	realmNoSuchUser        = "No such user"
	realmPasswordIncorrect = "Password incorrect"
	realmSessionExpired    = "Session expired"
	realmSessionEnded      = "Session ended"
)

// handleLogin serves POST /login.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	username := r.PostForm.Get("username")
	token, err := newToken()
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	outcome, at := s.login(username, r.PostForm.Get("password"), token)
	switch outcome {
	case loginMissingField:
		s.logger.Info("sessiontest: login rejected", "reason", "missing field")
		challenge(w, http.StatusUnauthorized, realmLoginRequired, "Verification failed")
	case loginUnknownUser:
		s.logger.Info("sessiontest: login rejected", "user", username, "reason", "unknown user")
		challenge(w, http.StatusUnauthorized, realmNoSuchUser, "Verification failed")
	case loginBadPassword:
		s.logger.Info("sessiontest: login rejected", "user", username, "reason", "wrong password")
		challenge(w, http.StatusForbidden, realmPasswordIncorrect, "Verification failed")
	default:
		s.logger.Info("sessiontest: login", "user", username)
		http.SetCookie(w, &http.Cookie{Name: CookieUsername, Value: username, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: CookieToken, Value: token, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: CookieLoginTimestamp, Value: isoformat(at), Path: "/"})
		writeText(w, http.StatusOK, "Logged in")
	}
}

// requireSession wraps a protected endpoint: it answers 401 when the session
// cookies are missing or the session has ended, and 403 when they do not
// match the server's token for that user.
func (s *Server) requireSession(next func(w http.ResponseWriter, username string, login time.Time)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, uerr := r.Cookie(CookieUsername)
		token, terr := r.Cookie(CookieToken)
		if uerr != nil || terr != nil || user.Value == "" || token.Value == "" {
			s.countMissingCookies()
			s.logger.Info("sessiontest: request rejected", "path", r.URL.Path, "reason", "no session cookies")
			challenge(w, http.StatusUnauthorized, realmLoginRequired, "Login required")
			return
		}
		outcome, login := s.check(user.Value, token.Value)
		switch outcome {
		case sessionMismatch:
			s.logger.Info("sessiontest: request rejected", "path", r.URL.Path, "user", user.Value, "reason", "token mismatch")
			// The seed echoes the user name into an HTML body; escape it here.
			writeText(w, http.StatusForbidden, html.EscapeString(user.Value)+" denied access to resource")
		case sessionEnded:
			s.logger.Info("sessiontest: request rejected", "path", r.URL.Path, "user", user.Value, "reason", "session ended")
			challenge(w, http.StatusUnauthorized, realmSessionEnded, "Login required")
		case sessionExpired:
			s.logger.Info("sessiontest: request rejected", "path", r.URL.Path, "user", user.Value, "reason", "session expired")
			challenge(w, http.StatusUnauthorized, realmSessionExpired, "Login required")
		default:
			next(w, user.Value, login)
		}
	})
}

// handleGetInfo serves GET /get-info, the seed's protected endpoint.
func (s *Server) handleGetInfo(w http.ResponseWriter, _ string, _ time.Time) {
	writeJSON(w, map[string]int{"Secret-number": 42})
}

// WhoAmI is the body of GET /whoami.
type WhoAmI struct {
	Username       string `json:"username"`
	LoginTimestamp string `json:"login_timestamp"` // as in the CookieLoginTimestamp cookie
}

// handleWhoAmI serves GET /whoami: who the session belongs to and since when.
func (s *Server) handleWhoAmI(w http.ResponseWriter, username string, login time.Time) {
	writeJSON(w, WhoAmI{Username: username, LoginTimestamp: isoformat(login)})
}

// newToken returns a session token like Python's secrets.token_urlsafe(16).
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// isoformat formats t like Python's datetime.isoformat() on a naive datetime:
// microseconds, left out when zero, and no zone.
func isoformat(t time.Time) string {
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}

// challenge writes a Flask-style text answer with a Basic challenge, as the
// seed's login does.
func challenge(w http.ResponseWriter, status int, realm, body string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	writeText(w, status, body)
}

// writeText writes body with Flask's default content type.
func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeJSON writes v as a 200 JSON answer, as Flask's jsonify does.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
