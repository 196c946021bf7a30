// Package expiry reads how long a token lives from what servers send: an
// expires_in field, or the exp claim of a JWT access token. The oauth and
// login packages share it.
package expiry

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxLifetime caps the lifetime believed: a server that claims more than a
// year is more likely wrong than generous.
const MaxLifetime = 366 * 24 * time.Hour

// ParseExpiresIn reads a lifetime in seconds, as a JSON number or a string
// holding one. It reports false when it is absent, below a second, or
// unreadable, and caps it at MaxLifetime.
func ParseExpiresIn(raw json.RawMessage) (time.Duration, bool) {
	s := strings.TrimSpace(string(raw))
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(secs) || secs < 1 {
		return 0, false
	}
	return min(time.Duration(min(secs, MaxLifetime.Seconds()))*time.Second, MaxLifetime), true
}

// JWTExpiry returns the exp claim of an access token that is a JWT, read
// with jwt.Parser.ParseUnverified: the client does not hold the server's
// key, and uses exp only to schedule the refresh, never to trust the token.
func JWTExpiry(access string) (time.Time, bool) {
	if strings.Count(access, ".") != 2 {
		return time.Time{}, false
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(access, claims); err != nil {
		return time.Time{}, false
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return time.Time{}, false
	}
	return exp.Time, true
}

// Earliest returns when a token received at issued expires: the earlier of
// issued plus expires_in and the exp claim of a JWT access token. A server
// that stamps both counts them from different moments (exp from its own
// clock, in whole seconds; expires_in rounded), and it stops accepting the
// token at exp, so the earlier one is the one to plan for. An exp that is
// not after issued says the two clocks disagree, not that the token is
// dead on arrival: it is ignored when expires_in is there, so a client
// whose clock runs ahead does not refresh without end. Either is capped
// at MaxLifetime after issued (an exp written in milliseconds is in the
// year 55,000). It reports false when neither is usable.
func Earliest(issued time.Time, expiresIn json.RawMessage, access string) (time.Time, bool) {
	d, okIn := ParseExpiresIn(expiresIn)
	exp, okExp := JWTExpiry(access)
	switch {
	case okIn && okExp && exp.After(issued):
		return minTime(issued.Add(d), exp), true
	case okIn:
		return issued.Add(d), true
	case okExp:
		return minTime(exp, issued.Add(MaxLifetime)), true
	}
	return time.Time{}, false
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
