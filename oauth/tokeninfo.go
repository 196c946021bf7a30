package oauth

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/expiry"
	"golang.org/x/oauth2"
)

// The accessors below read the fields of a token response (RFC 6749 5.1,
// OpenID Connect Core 3.1.3.3) that *oauth2.Token keeps only in its Extra,
// as values of type any. They are functions of an *oauth2.Token rather
// than methods of a type of this package because *oauth2.Token is what
// every grant, a tokenrefresh.Refresher and golang.org/x/oauth2 hand
// around: a wrapper would have to be unwrapped at each of those borders.
//
// Extra lives only in memory: a token loaded from a tokenrefresh.Store has
// none, so read what you need from the token a grant or [AuthCode.Exchange]
// returned, or from the Refresher's OnRotate.

// Scope returns the scopes granted with tok (the scope field, RFC 6749
// 5.1), and whether the server sent the field. Without it the granted
// scope is the requested one (RFC 6749 3.3).
func Scope(tok *oauth2.Token) ([]string, bool) {
	s, ok := extraString(tok, "scope")
	if !ok {
		return nil, false
	}
	return strings.Fields(s), true
}

// IDToken returns the ID token that came with tok (OpenID Connect Core
// 3.1.3.3), or "" if there is none. When tok came from
// [AuthCode.Exchange] or [AuthCode.Login] with the openid scope, its
// nonce, audience, issuer and expiry were checked; its signature was not,
// which OpenID Connect Core 3.1.3.7 allows for an ID token received from
// the token endpoint over TLS. Verify it yourself before passing it on.
func IDToken(tok *oauth2.Token) string {
	s, _ := extraString(tok, "id_token")
	return s
}

// ExpiresIn returns the lifetime the server gave tok (expires_in, RFC 6749
// 5.1), and whether it gave one. tok.Expiry may be earlier: it is also
// bounded by the exp claim of a JWT access token.
func ExpiresIn(tok *oauth2.Token) (time.Duration, bool) {
	if tok == nil {
		return 0, false
	}
	if tok.ExpiresIn > 0 {
		return time.Duration(tok.ExpiresIn) * time.Second, true
	}
	raw, err := json.Marshal(tok.Extra("expires_in"))
	if err != nil {
		return 0, false
	}
	return expiry.ParseExpiresIn(raw)
}

// extraString returns the string field key of tok's Extra.
func extraString(tok *oauth2.Token, key string) (string, bool) {
	if tok == nil {
		return "", false
	}
	s, ok := tok.Extra(key).(string)
	return s, ok
}
