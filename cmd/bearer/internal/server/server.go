// Package server is bearer serve's local endpoint: the current token of
// each named token as JSON (GET /v1/tokens/NAME), an authenticating
// reverse proxy to each token's API (/NAME/...), health (GET /healthz) and
// metrics in Prometheus's text format (GET /metrics). Every route needs
// the key when one is set (the Bearer-Proxy-Key header); on a Unix socket
// the socket's permissions guard it instead.
package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
)

// KeyHeader carries the key callers prove themselves with. It is never
// forwarded upstream.
const KeyHeader = "Bearer-Proxy-Key"

// tokenWait bounds how long GET /v1/tokens/NAME waits for a token that is
// being replaced: a token endpoint that has not answered in 30 s is not
// going to (tokenrefresh.DefaultAttemptTimeout).
const tokenWait = 30 * time.Second

// Server serves the keepers. Create it with [New]; it is safe for
// concurrent use.
type Server struct {
	keepers map[string]*keeper.Keeper
	names   []string
	log     *slog.Logger
	proxies map[string]http.Handler
	stats   map[string]*counters
}

// New returns a server for keepers.
func New(keepers []*keeper.Keeper, log *slog.Logger) *Server {
	s := &Server{keepers: map[string]*keeper.Keeper{}, log: log,
		proxies: map[string]http.Handler{}, stats: map[string]*counters{}}
	for _, k := range keepers {
		s.keepers[k.Name()] = k
		s.names = append(s.names, k.Name())
		s.stats[k.Name()] = &counters{}
		if k.Upstream() != nil {
			s.proxies[k.Name()] = s.newProxy(k)
		}
	}
	return s
}

// Handler returns the routes. With a key, every request must send it in
// [KeyHeader] (for a TCP port); without, the listener guards them (a Unix
// socket's permissions).
func (s *Server) Handler(key []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/tokens/{name}", s.serveToken)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("/{name}/{rest...}", s.serveProxy)
	if len(key) == 0 {
		return mux
	}
	return guard(mux, key)
}

// guard refuses requests without the key. /healthz and /metrics also take
// it as "Authorization: Bearer KEY", which Prometheus can send from a
// file (its authorization.credentials_file).
func guard(next http.Handler, key []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !keyOK(r, key) {
			writeError(w, http.StatusUnauthorized, "unauthorized",
				"send the key from the server's key_file in the "+KeyHeader+" header")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func keyOK(r *http.Request, key []byte) bool {
	got := r.Header.Get(KeyHeader)
	if got == "" && (r.URL.Path == "/healthz" || r.URL.Path == "/metrics") {
		got, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	return subtle.ConstantTimeCompare([]byte(got), key) == 1
}

// tokenJSON is the answer of GET /v1/tokens/NAME, shaped like an RFC 6749
// 5.1 token response. Expiry is when the token stops being usable: its
// own expiry or, for C2, its planned rotation, whichever is first.
type tokenJSON struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	Expiry      time.Time `json:"expiry,omitzero"`
	ExpiresIn   int64     `json:"expires_in,omitempty"`
}

// serveToken answers the current token of a name. It never hands out one
// inside its fence: Token waits for the rotation then.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keeper(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), tokenWait)
	defer cancel()
	tok, err := k.Token(ctx)
	st := s.stats[k.Name()]
	if err != nil {
		st.tokenErrors.Add(1)
		writeError(w, http.StatusServiceUnavailable, "no_token", k.Redact(err.Error()))
		return
	}
	st.tokens.Add(1)
	out := tokenJSON{AccessToken: tok.AccessToken, TokenType: tok.Type()}
	if until := k.UseUntil(tok); !until.IsZero() {
		out.Expiry = until.UTC()
		out.ExpiresIn = max(int64(time.Until(until)/time.Second), 0)
	}
	w.Header().Set("Cache-Control", "no-store") // RFC 6749 5.1
	writeJSON(w, http.StatusOK, out)
}

// keeper returns the keeper the path names, or answers 404.
func (s *Server) keeper(w http.ResponseWriter, r *http.Request) (*keeper.Keeper, bool) {
	k, ok := s.keepers[r.PathValue("name")]
	if !ok {
		writeError(w, http.StatusNotFound, "unknown_token", "no token of that name: the names are "+strings.Join(s.names, ", "))
	}
	return k, ok
}

// healthJSON is the answer of GET /healthz.
type healthJSON struct {
	Healthy bool            `json:"healthy"`
	Tokens  []keeper.Status `json:"tokens"`
}

// serveHealth answers 200 when every token is healthy, else 503, with
// each token's status.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	h := healthJSON{Healthy: true}
	for _, name := range s.names {
		st := s.keepers[name].Status()
		h.Healthy = h.Healthy && st.Healthy
		h.Tokens = append(h.Tokens, st)
	}
	code := http.StatusOK
	if !h.Healthy {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, h)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// errorJSON is the body of every error this server answers itself, shaped
// like RFC 6749 5.2's.
type errorJSON struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeError(w http.ResponseWriter, code int, kind, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, errorJSON{Error: kind, Description: desc})
}
