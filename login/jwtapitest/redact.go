package jwtapitest

import (
	"fmt"
	"log/slog"
)

// redacted stands in for a token or secret wherever a value is printed.
const redacted = "REDACTED"

// String describes the server without its secrets, users or tokens.
func (s *Server) String() string { return "jwtapitest.Server{" + redacted + "}" }

// GoString is [Server.String], so %#v cannot print the secrets either.
func (s *Server) GoString() string { return s.String() }

// String prints the response with its tokens redacted.
func (r LoginResponse) String() string {
	return fmt.Sprintf("{Email:%s RefreshToken:%s Token:%s UserID:%d}", r.Email, redacted, redacted, r.UserID)
}

// GoString is [LoginResponse.String].
func (r LoginResponse) GoString() string { return r.String() }

// LogValue logs the response with its tokens redacted.
func (r LoginResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("email", r.Email), slog.Int("user_id", r.UserID),
		slog.String("token", redacted), slog.String("refresh_token", redacted))
}

// String prints the response with its tokens redacted.
func (r RefreshResponse) String() string {
	return fmt.Sprintf("{RefreshToken:%s Token:%s User:%d}", redacted, redacted, r.User)
}

// GoString is [RefreshResponse.String].
func (r RefreshResponse) GoString() string { return r.String() }

// LogValue logs the response with its tokens redacted.
func (r RefreshResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("user", r.User),
		slog.String("token", redacted), slog.String("refresh_token", redacted))
}
