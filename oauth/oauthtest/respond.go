package oauthtest

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
)

// Stats counts what clients asked of a [Server]. It is a snapshot.
type Stats struct {
	// TokenCalls counts requests to the token endpoint with a form body
	// that names a grant_type once, by grant_type: "password",
	// "client_credentials", "authorization_code", "refresh_token",
	// "device_code", "jwt_bearer", or "unsupported" for any other. A
	// request an injected fault answered instead is counted in Faults.
	TokenCalls map[string]int
	// AuthMethods counts client_credentials requests that used exactly one
	// client authentication method, by method, whether or not it succeeded.
	AuthMethods map[AuthMethod]int
	// TokensIssued counts access tokens issued, including those of
	// answers a FaultDropAfterApply kept from the client.
	TokensIssued int
	// Rotations counts refresh tokens rotated: each refresh_token grant
	// that spent one and issued its successor, including rotations a
	// FaultDropAfterApply kept from the client.
	Rotations int
	// Unauthorized counts 401 answers from every endpoint, injected faults
	// included.
	Unauthorized int
	// Faults counts requests that took an injected fault.
	Faults int
	// Dropped counts connections closed without an answer (FaultDrop and
	// FaultDropAfterApply).
	Dropped int
	// Revocations counts tokens revoked at the revocation endpoint (RFC
	// 7009): live ones of the requesting client, not unknown or spent ones.
	Revocations int
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.TokenCalls = maps.Clone(st.TokenCalls)
	st.AuthMethods = maps.Clone(st.AuthMethods)
	return st
}

func (s *Server) countTokenCall(grant string, method AuthMethod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stats.TokenCalls == nil {
		s.stats.TokenCalls = map[string]int{}
	}
	s.stats.TokenCalls[grant]++
	if method == "" {
		return
	}
	if s.stats.AuthMethods == nil {
		s.stats.AuthMethods = map[AuthMethod]int{}
	}
	s.stats.AuthMethods[method]++
}

// countStatus counts an answer's status in the stats.
func (s *Server) countStatus(status int) {
	if status != http.StatusUnauthorized {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Unauthorized++
}

// detail is FastAPI's error body.
type detail struct {
	Detail any `json:"detail"`
}

// fieldError is one entry of the detail list of FastAPI's 422 answer.
type fieldError struct {
	Type  string   `json:"type"`
	Loc   []string `json:"loc"`
	Msg   string   `json:"msg"`
	Input any      `json:"input"`
}

// missingFields is FastAPI's answer when form fields are missing, which is
// also its answer to a JSON body sent where a form is expected.
func missingFields(names ...string) detail {
	list := make([]fieldError, len(names))
	for i, n := range names {
		list[i] = fieldError{Type: "missing", Loc: []string{"body", n}, Msg: "Field required"}
	}
	return detail{Detail: list}
}

// oauthError is an RFC 6749 section 5.2 error answer.
type oauthError struct {
	status      int
	basic       bool   // the client tried HTTP Basic: answer WWW-Authenticate
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func invalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: "invalid_request", Description: desc}
}

func invalidClient(desc string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, Code: "invalid_client", Description: desc}
}

// writeJSON answers status with v as JSON and counts 401s.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	s.countStatus(status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a client that went away is not our concern
}

func (s *Server) writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.basic && e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="token", charset="UTF-8"`)
	}
	noStore(w)
	s.writeJSON(w, e.status, e)
}

// noStore marks an answer that carries or concerns a token as not
// cacheable, RFC 6749 section 5.1.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func (s *Server) notFound(w http.ResponseWriter, _ *http.Request) {
	s.writeJSON(w, http.StatusNotFound, detail{Detail: "Not Found"})
}

// allow wraps h so that other methods are answered 405, as FastAPI does.
func (s *Server) allow(h http.HandlerFunc, methods ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m {
				h(w, r)
				return
			}
		}
		for _, m := range methods {
			w.Header().Add("Allow", m)
		}
		s.writeJSON(w, http.StatusMethodNotAllowed, detail{Detail: "Method Not Allowed"})
	}
}

// errNotForm reports a body that is not application/x-www-form-urlencoded.
var errNotForm = errors.New("not a form")

// readForm reads a form-encoded body of at most MaxBodyBytes. Unlike
// r.ParseForm it ignores the query string: parameters travel in the body.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errNotForm
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, err
	}
	return url.ParseQuery(string(body))
}

// writeBodyError answers a body readForm or readJSON could not take.
func (s *Server) writeBodyError(w http.ResponseWriter, err error, fields ...string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.writeJSON(w, http.StatusRequestEntityTooLarge, detail{Detail: "Request body too large"})
	case errors.Is(err, errNotForm):
		s.writeJSON(w, http.StatusUnprocessableEntity, missingFields(fields...))
	default:
		s.writeJSON(w, http.StatusBadRequest, detail{Detail: "There was an error parsing the body"})
	}
}
