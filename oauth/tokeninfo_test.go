package oauth_test

import (
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"golang.org/x/oauth2"
)

func TestTokenAccessors(t *testing.T) {
	ts := newTokenServer(t, 200, `{"access_token":"a","token_type":"bearer","expires_in":"600","scope":"read  write","id_token":"h.p.s"}`)
	tok, err := clientCredentials(t, ts.URL, basicAuth()).Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := oauth.Scope(tok); !ok || len(s) != 2 || s[0] != "read" || s[1] != "write" {
		t.Errorf("Scope() = %q, %v; want [read write], true", s, ok)
	}
	if got := oauth.IDToken(tok); got != "h.p.s" {
		t.Errorf("IDToken() = %q; want h.p.s", got)
	}
	if d, ok := oauth.ExpiresIn(tok); !ok || d != 10*time.Minute {
		t.Errorf("ExpiresIn() = %v, %v; want 10m, true", d, ok)
	}
}

func TestTokenAccessorsWithoutFields(t *testing.T) {
	for _, tok := range []*oauth2.Token{nil, {AccessToken: "a"}} {
		if s, ok := oauth.Scope(tok); ok || s != nil {
			t.Errorf("Scope(%v) = %q, %v; want nothing", tok, s, ok)
		}
		if got := oauth.IDToken(tok); got != "" {
			t.Errorf("IDToken(%v) = %q; want empty", tok, got)
		}
		if d, ok := oauth.ExpiresIn(tok); ok {
			t.Errorf("ExpiresIn(%v) = %v; want none", tok, d)
		}
	}
	// A stored token keeps ExpiresIn, not Extra.
	if d, ok := oauth.ExpiresIn(&oauth2.Token{AccessToken: "a", ExpiresIn: 90}); !ok || d != 90*time.Second {
		t.Errorf("ExpiresIn(stored) = %v, %v; want 90s", d, ok)
	}
}
