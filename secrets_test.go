package bearer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bearer-go/bearer"
	"golang.org/x/oauth2"
)

// canary is a token that must never be printed.
const canary = "CANARY-tok-7f3a9c1e5b2d4068"

// TestSecretsNeverReachErrorsOrLogs drives every failure path with a token
// that also appears in the URL path (as in C2's PUT /charon/tokens/{token})
// and in the server's answers, and checks no error or log line has it.
func TestSecretsNeverReachErrorsOrLogs(t *testing.T) {
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// Echo the token received, as careless servers do.
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="bad token `+tok+`"`)
			w.Header().Set("X-Request-Id", tok)
			w.WriteHeader(status)
			w.Write([]byte(`{"error":"` + tok + `","error_description":"token ` + tok + ` rejected"}`))
		}
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()

	paths := map[string]func(t *testing.T, logger *slog.Logger) error{
		"401 echoing the token": func(t *testing.T, l *slog.Logger) error {
			srv := httptest.NewServer(echo(401))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(canary)), bearer.WithLogger(l))
			return c.Put(context.Background(), "/charon/tokens/"+canary+"?access_token="+canary, nil, nil)
		},
		"500 after retries": func(t *testing.T, l *slog.Logger) error {
			srv := httptest.NewServer(echo(500))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(canary)), bearer.WithLogger(l))
			return c.Get(context.Background(), "/charon/tokens/"+canary, nil)
		},
		"replay after 401": func(t *testing.T, l *slog.Logger) error {
			srv := httptest.NewServer(echo(401))
			t.Cleanup(srv.Close)
			src := &rotatingSource{prefix: canary}
			c := newClient(t, srv.URL, bearer.WithTokenSource(src), bearer.WithLogger(l))
			return c.Get(context.Background(), "/x/"+canary+"tok-1/"+canary+"tok-2", nil)
		},
		"connection refused": func(t *testing.T, l *slog.Logger) error {
			c := newClient(t, "http://"+deadAddr, bearer.WithTokenSource(bearer.StaticToken(canary)), bearer.WithLogger(l), bearer.WithRetryMax(1))
			return c.Put(context.Background(), "/charon/tokens/"+canary, nil, nil)
		},
		"connection cut": func(t *testing.T, l *slog.Logger) error {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(canary)), bearer.WithLogger(l), bearer.WithRetryMax(1))
			return c.Put(context.Background(), "/charon/tokens/"+canary, nil, nil)
		},
		"token source failure": func(t *testing.T, l *slog.Logger) error {
			src := bearer.TokenSourceFunc(func(context.Context) (*oauth2.Token, error) { return nil, errors.New("down") })
			c := newClient(t, "https://api.example.com", bearer.WithTokenSource(src), bearer.WithLogger(l))
			return c.Get(context.Background(), "/charon/tokens/"+canary, nil)
		},
		"plain http refused": func(t *testing.T, l *slog.Logger) error {
			_, err := bearer.NewClient("http://api.example.com", bearer.WithTokenSource(bearer.StaticToken(canary)), bearer.WithLogger(l))
			return err
		},
		"undecodable body": func(t *testing.T, l *slog.Logger) error {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{" + canary)) }))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(canary)), bearer.WithLogger(l))
			var v map[string]any
			return c.Get(context.Background(), "/charon/tokens/"+canary, &v)
		},
	}
	for name, run := range paths {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			err := run(t, logger)
			if err == nil {
				t.Fatal("the failure path did not fail")
			}
			var all strings.Builder
			for e := err; e != nil; e = errors.Unwrap(e) {
				all.WriteString(e.Error())
				all.WriteString(fmtAll(e))
			}
			var ae *bearer.APIError
			if errors.As(err, &ae) {
				all.Write(ae.Body)
				all.WriteString(ae.Code + ae.Message + ae.URL + ae.RequestID)
			}
			if strings.Contains(all.String(), canary) {
				t.Errorf("error leaks the token: %s", all.String())
			}
			if strings.Contains(logs.String(), canary) {
				t.Errorf("logs leak the token: %s", logs.String())
			}
		})
	}
}
