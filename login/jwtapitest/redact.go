package jwtapitest

import (
	"fmt"

	"github.com/bearer-go/bearer/internal/redact"
)

// Format prints the server as jwtapitest.Server{REDACTED}, whatever the
// verb: it holds the signing secrets, the users and the revoked tokens.
func (s *Server) Format(f fmt.State, _ rune) { redact.Opaque(f, "jwtapitest.Server") }
