package otelobserver

import (
	"context"
	"errors"
	"strconv"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// errorCodes are the error codes a token endpoint may answer that
// error.type takes as they are: RFC 6749 5.2 and 4.1.2.1, RFC 6750 3.1,
// RFC 8628 3.5. Any other code a server sends is free text, which could
// carry anything: it is reported by its HTTP status instead.
var errorCodes = map[string]bool{
	"invalid_request": true, "invalid_client": true, "invalid_grant": true, "unauthorized_client": true,
	"unsupported_grant_type": true, "invalid_scope": true, "access_denied": true, "server_error": true,
	"temporarily_unavailable": true, "invalid_token": true, "insufficient_scope": true,
	"authorization_pending": true, "slow_down": true, "expired_token": true,
}

// errorType returns the error.type of a failed attempt (the OpenTelemetry
// semantic convention): a low-cardinality name that never holds text a
// server chose.
func errorType(err error) string {
	var oe *oauth.Error
	var ae *bearer.APIError
	var ore *oauth.RequestError
	var bre *bearer.RequestError
	switch {
	case err == nil:
		return "_OTHER"
	case errors.Is(err, tokenrefresh.ErrLineageLost):
		return "lineage_lost"
	case errors.As(err, &oe) && errorCodes[oe.Code]:
		return oe.Code
	case errors.As(err, &oe) && oe.StatusCode != 0:
		return strconv.Itoa(oe.StatusCode)
	case errors.As(err, &ae):
		if errorCodes[ae.Code] {
			return ae.Code
		}
		return strconv.Itoa(ae.StatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &ore), errors.As(err, &bre):
		return "no_response"
	}
	return "_OTHER"
}
