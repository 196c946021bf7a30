package sessiontest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Realms of the seed's WWW-Authenticate challenges.
const (
	realmLoginRequired     = "Login required"
	realmNoSuchUser        = "No such user"
	realmPasswordIncorrect = "Password incorrect"
)

// routes are the seed's two endpoints and the methods Flask serves on
// each: those of the route, with HEAD for GET, and OPTIONS.
var routes = map[string][]string{
	"/login":    {http.MethodPost, http.MethodOptions},
	"/get-info": {http.MethodGet, http.MethodHead, http.MethodOptions},
}

// Werkzeug's error pages, as Flask 2.2 and 3 send them, text/html.
const (
	pageNotFound = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n" +
		"<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n"
	pageMethodNotAllowed = "<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n" +
		"<p>The method is not allowed for the requested URL.</p>\n"
	pageTooLarge = "<!doctype html>\n<html lang=en>\n<title>413 Request Entity Too Large</title>\n<h1>Request Entity Too Large</h1>\n" +
		"<p>The data value transmitted exceeds the capacity limit.</p>\n"
	pageInternalError = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n" +
		"<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n"
)

// ServeHTTP implements [http.Handler]: it routes as Flask does, and closes
// each connection after its answer, as the seed's development server does.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	methods, known := routes[r.URL.Path]
	switch {
	case s.failing():
		s.logger.Info("sessiontest: failing on purpose", "path", r.URL.Path)
		writeText(w, http.StatusInternalServerError, pageInternalError)
	case !known:
		writeText(w, http.StatusNotFound, pageNotFound)
	case !slices.Contains(methods, r.Method):
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeText(w, http.StatusMethodNotAllowed, pageMethodNotAllowed)
	case r.Method == http.MethodOptions:
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeText(w, http.StatusOK, "")
	case r.URL.Path == "/login":
		s.handleLogin(w, r)
	default:
		s.handleGetInfo(w, r)
	}
}

// handleLogin serves POST /login: the seed's login().
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	// Werkzeug reads a body it cannot parse as an empty form: the login
	// then lacks its fields. Only the bound is an answer of its own.
	err := r.ParseForm() // ParseMultipartForm would drop its error
	if err == nil {
		if err = r.ParseMultipartForm(maxBodyBytes); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeText(w, http.StatusRequestEntityTooLarge, pageTooLarge)
		return
	}
	username := r.PostForm.Get("username")
	token, err := newToken()
	if err != nil { // crypto/rand does not fail on the platforms Go supports
		writeText(w, http.StatusInternalServerError, pageInternalError)
		return
	}
	outcome, at := s.login(username, r.PostForm.Get("password"), token)
	switch outcome {
	case loginMissingField:
		s.logger.Info("sessiontest: login refused", "reason", "missing field")
		challenge(w, http.StatusUnauthorized, realmLoginRequired)
	case loginUnknownUser:
		s.logger.Info("sessiontest: login refused", "user", username, "reason", "unknown user")
		challenge(w, http.StatusUnauthorized, realmNoSuchUser)
	case loginBadPassword:
		s.logger.Info("sessiontest: login refused", "user", username, "reason", "wrong password")
		challenge(w, http.StatusForbidden, realmPasswordIncorrect)
	default:
		s.logger.Info("sessiontest: login", "user", username)
		http.SetCookie(w, &http.Cookie{Name: CookieUsername, Value: username, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: CookieToken, Value: token, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: CookieLoginTimestamp, Value: isoformat(at), Path: "/"})
		writeText(w, http.StatusOK, "Logged in")
	}
}

// handleGetInfo serves GET /get-info: the seed's get_info(). The body
// quotes the username cookie as the seed's f-string does, unescaped.
func (s *Server) handleGetInfo(w http.ResponseWriter, r *http.Request) {
	username, token := cookie(r, CookieUsername), cookie(r, CookieToken)
	if !s.admits(username, token) {
		s.logger.Info("sessiontest: request denied", "path", r.URL.Path, "user", username.String())
		writeText(w, http.StatusForbidden, username.String()+" denied access to resource")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int{"Secret-number": 42}) // as jsonify: compact, a final newline
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

// challenge writes the seed's refused login: "Verification failed" with a
// Basic challenge naming why in its realm.
func challenge(w http.ResponseWriter, status int, realm string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	writeText(w, status, "Verification failed")
}

// writeText writes body with the content type Flask gives a string:
// text/html, whatever the text is.
func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
