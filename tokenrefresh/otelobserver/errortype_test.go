package otelobserver

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// error.type is a registered error code, a status, or a fixed word: never
// a code or text the server made up.
func TestErrorType(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "_OTHER"},
		{errors.New("anything"), "_OTHER"},
		{&oauth.Error{StatusCode: 400, Code: "invalid_grant"}, "invalid_grant"},
		{tokenrefresh.Permanent(fmt.Errorf("wrapped: %w", &oauth.Error{StatusCode: 400, Code: "slow_down"})), "slow_down"},
		{&oauth.Error{StatusCode: 400, Code: "made-up-by-the-server-sekret"}, "400"},
		{&oauth.Error{Code: "made-up"}, "_OTHER"},
		{&bearer.APIError{StatusCode: 503, Code: "overloaded"}, "503"},
		{&bearer.APIError{StatusCode: 401, Code: "invalid_token"}, "invalid_token"},
		{tokenrefresh.InDoubt(context.DeadlineExceeded), "timeout"},
		{&oauth.RequestError{Err: errors.New("connection reset")}, "no_response"},
		{&bearer.RequestError{Err: errors.New("connection refused")}, "no_response"},
		{fmt.Errorf("%w: %w", tokenrefresh.ErrLineageLost, &oauth.Error{StatusCode: 400, Code: "invalid_grant"}), "lineage_lost"},
	}
	for _, tt := range tests {
		if got := errorType(tt.err); got != tt.want {
			t.Errorf("errorType(%v) = %q; want %q", tt.err, got, tt.want)
		}
	}
}
