package jwtapitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error codes of the seed, sent as the message of an [ErrorBody].
const (
	CodeTokenExpired          = "token-expired"          // 401: exp has passed
	CodeTokenInvalid          = "token-invalid"          // 401: bad signature, wrong kind, revoked, malformed
	CodeAuthorisationRequired = "authorisation-required" // 401 (not 403, as in the seed): role too low
	CodeNotFound              = "not-found"              // 404: unknown film or user, or a failed login (unknown email or wrong password)
	CodeUserAlreadyExists     = "user-already-exists"    // 400: signup with a taken email
	CodeUserAlreadyLoggedIn   = "user-already-logged-in" // 400: login while the user's last login has not logged out
	CodeEmailUnverified       = "email-unverified"       // 400: login to an account whose email is not verified
	CodeServiceUnavailable    = "service unavailable"    // 503: the Redis of revoked tokens is down
)

// MessageAuthorisationRequired is the message of the seed's logout when
// the Authorization header lacks "Bearer " (case-sensitive, where
// connexion accepts any case): a 400.
const MessageAuthorisationRequired = "Authorisation required"

// NoTokenDetail is the detail of connexion's 401 problem when a secured
// endpoint gets no bearer token (the seed's "No authorization token provided").
const NoTokenDetail = "No authorization token provided"

// Werkzeug's texts, which connexion's problem documents carry as detail.
const (
	notFoundDetail         = "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."
	methodNotAllowedDetail = "The method is not allowed for the requested URL."
	internalErrorDetail    = "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."
)

// ErrorBody is the JSON of the seed's ApiError handler,
// {"message": "<code>", "status": "error"}, sent with application/json.
type ErrorBody struct {
	Message string `json:"message"`
	Status  string `json:"status"`
}

// Problem is the RFC 7807 document connexion sends, as
// application/problem+json, for errors raised before an endpoint runs: no
// bearer token, a request body that fails the schema, an unknown path.
type Problem struct {
	Detail string `json:"detail"`
	Status int    `json:"status"`
	Title  string `json:"title"`
	Type   string `json:"type"`
}

// writeError writes the seed's ApiError JSON.
func writeError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, "application/json", ErrorBody{Message: code, Status: "error"})
}

// writeProblem writes connexion's problem document.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	p := Problem{Detail: detail, Status: status, Title: http.StatusText(status), Type: "about:blank"}
	writeJSON(w, status, "application/problem+json", p)
}

// writeJSON writes v compactly with a final newline, as Flask's jsonify does.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// credentials is a checked signup or login body.
type credentials struct {
	email    string // lower case
	password string
	role     Role // signup only; basic when absent
}

// readCredentials reads and checks a JSON credentials body as connexion
// checks it against the seed's schemas (Credentials, UserSignup). On failure
// it has written the problem and returns false.
func readCredentials(w http.ResponseWriter, r *http.Request, signup bool) (credentials, bool) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || !isJSON(mt) {
		writeProblem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Invalid Content-type (%s), expected JSON data", ct))
		return credentials{}, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(w, http.StatusRequestEntityTooLarge, "The data value transmitted exceeds the capacity limit.")
		} else {
			writeProblem(w, http.StatusBadRequest, "Request body could not be read")
		}
		return credentials{}, false
	}
	var in struct {
		Email      *string `json:"email"`
		Password   *string `json:"password"`
		AccessRole *string `json:"access_role"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeProblem(w, http.StatusBadRequest, "Request body is not valid JSON")
		return credentials{}, false
	}
	c, detail := checkCredentials(in.Email, in.Password, in.AccessRole, signup)
	if detail != "" {
		writeProblem(w, http.StatusBadRequest, detail)
		return credentials{}, false
	}
	return c, true
}

// checkCredentials applies the schema; it returns a problem detail on failure.
func checkCredentials(email, password, role *string, signup bool) (credentials, string) {
	switch {
	case email == nil:
		return credentials{}, "'email' is a required property"
	case password == nil:
		return credentials{}, "'password' is a required property"
	}
	c := credentials{email: strings.ToLower(*email), password: *password, role: RoleBasic}
	if detail := validateCredentials(c.email, c.password); detail != "" {
		return credentials{}, detail
	}
	if signup && role != nil {
		// The seed's AccessRole enum lets anyone sign up as admin; so does this fake.
		c.role = Role(*role)
		if c.role.level() == 0 {
			return credentials{}, fmt.Sprintf("%q is not one of ['admin', 'basic']", *role)
		}
	}
	return c, ""
}

// isJSON reports whether a media type is JSON, as connexion decides it.
func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// validateCredentials checks an email and a password against the seed's
// Email and Password patterns. The password pattern, applied with Python's
// re.search, accepts a password when one of its space-separated words has 8
// to 32 characters with an upper-case letter, a lower-case letter and a
// digit. Unlike connexion, the detail never quotes the password.
func validateCredentials(email, password string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || strings.ContainsAny(email, " \t\r\n") || strings.Contains(domain, "@") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return fmt.Sprintf("%q is not a valid email address", email)
	}
	for _, word := range strings.Fields(password) {
		if n := utf8.RuneCountInString(word); n >= 8 && n <= 32 &&
			strings.IndexFunc(word, isASCIIUpper) >= 0 &&
			strings.IndexFunc(word, isASCIILower) >= 0 &&
			strings.IndexFunc(word, isASCIIDigit) >= 0 {
			return ""
		}
	}
	return "password does not match the required pattern: 8 to 32 characters with an upper-case letter, a lower-case letter and a digit"
}

func isASCIIUpper(r rune) bool { return r <= unicode.MaxASCII && unicode.IsUpper(r) }
func isASCIILower(r rune) bool { return r <= unicode.MaxASCII && unicode.IsLower(r) }
func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }
