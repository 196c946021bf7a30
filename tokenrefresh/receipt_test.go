package tokenrefresh_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// A token is checked when it is received: one that cannot go into an
// Authorization header, or of a type this package cannot send, is a
// failed attempt that says why, and is never served.
func TestTokenThatCannotBeSentIsAFailedAttempt(t *testing.T) {
	tests := []struct {
		name string
		tok  oauth2.Token
		want string
	}{
		{"CRLF in the value", oauth2.Token{AccessToken: "abc\r\nX-Evil: 1"}, "control characters"},
		{"NUL in the value", oauth2.Token{AccessToken: "abc\x00def"}, "control characters"},
		{"DEL in the value", oauth2.Token{AccessToken: "abc\x7f"}, "control characters"},
		{"LF in the type", oauth2.Token{AccessToken: "abc", TokenType: "Bearer\n"}, "token_type with control characters"},
		{"mac", oauth2.Token{AccessToken: "abc", TokenType: "mac"}, `type "mac"`},
		{"DPoP", oauth2.Token{AccessToken: "abc", TokenType: "DPoP"}, "DPoP"},
		{"dpop in lower case", oauth2.Token{AccessToken: "abc", TokenType: "dpop"}, "DPoP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
				tok := tt.tok
				return &tok, nil
			})
			obs, evs := eventtest.Channel()
			r, _ := setup(t, tokenrefresh.Config{Observer: obs}, src)
			ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
			if ev.Err == nil || !strings.Contains(ev.Err.Error(), tt.want) {
				t.Errorf("Failed event error = %v; want it to say %q", ev.Err, tt.want)
			}
			if strings.Contains(ev.Err.Error(), tt.tok.AccessToken) {
				t.Errorf("Failed event error quotes the token: %v", ev.Err)
			}
			if st := r.Status(); st.Valid || st.Healthy || st.ConsecutiveFailures != 1 {
				t.Errorf("Status() = %+v; want no valid token, one failure", st)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if tok, err := r.Token(ctx); err == nil {
				t.Errorf("Token() = %q; want no token", tok.AccessToken)
			}
		})
	}
}

// Bearer in any case, or no type at all, is accepted.
func TestBearerTypesAreAccepted(t *testing.T) {
	for _, typ := range []string{"", "Bearer", "bearer", "BEARER"} {
		src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "abc", TokenType: typ}, nil
		})
		r, _ := setup(t, tokenrefresh.Config{}, src)
		if tok := mustToken(t, r); tok.AccessToken != "abc" {
			t.Errorf("type %q: Token() = %q; want abc", typ, tok.AccessToken)
		}
		r.Close()
	}
}

// An answer whose access token cannot be used but which carries a new
// refresh token keeps the refresh token: it is stored (the old one may
// be dead), and the next attempt uses it to get a usable access token.
func TestUnusableAccessTokenKeepsTheNewRefreshToken(t *testing.T) {
	clk := newClock()
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		switch {
		case n == 1 && cur.RefreshToken == "r1":
			// Expired by our clock (skew, no expires_in): unusable.
			return &oauth2.Token{AccessToken: "a2", RefreshToken: "r2", Expiry: clk.Now().Add(-time.Minute)}, nil
		case n == 2 && cur.RefreshToken == "r2":
			return &oauth2.Token{AccessToken: "a3", RefreshToken: "r3", Expiry: clk.Now().Add(time.Hour)}, nil
		}
		return nil, tokenrefresh.Permanent(errors.New("invalid_grant: the refresh token was already used"))
	})
	store := &tokenrefresh.MemoryStore{}
	obs, evs := eventtest.Channel()
	initial := &oauth2.Token{AccessToken: "a1", RefreshToken: "r1", Expiry: epoch.Add(-time.Second)}
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Store: store, Observer: obs}, src)
	ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
	if !strings.Contains(ev.Err.Error(), "kept the new refresh token") {
		t.Errorf("Failed event = %v; want it to say the refresh token was kept", ev.Err)
	}
	if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().RefreshToken != "r2" {
		t.Fatalf("store holds %v, %v after the unusable answer; want refresh token r2", e, err)
	}
	waiter := asyncToken(context.Background(), r)
	clk.Advance(ev.Retry.Sub(clk.Now()))
	got(t, waiter, "a3")
	if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().RefreshToken != "r3" {
		t.Errorf("store holds %v, %v; want refresh token r3", e, err)
	}
}

// A DPoP-bound token is accepted, from a refresh and from the store, by a
// Refresher whose source is configured for DPoP (Config.DPoP), and only
// by one: TestTokenThatCannotBeSentIsAFailedAttempt refuses it otherwise.
func TestDPoPTokensAreAcceptedWhenConfigured(t *testing.T) {
	for _, typ := range []string{"DPoP", "dpop"} {
		src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "abc", TokenType: typ}, nil
		})
		r, _ := setup(t, tokenrefresh.Config{DPoP: true}, src)
		if tok := mustToken(t, r); tok.AccessToken != "abc" || tok.TokenType != typ {
			t.Errorf("type %q: Token() = %q of type %q; want abc of type %q", typ, tok.AccessToken, tok.TokenType, typ)
		}
		r.Close()
	}
	stored := &tokenrefresh.MemoryStore{}
	dpopTok := &oauth2.Token{AccessToken: "stored", TokenType: "DPoP", Expiry: epoch.Add(time.Hour)}
	if err := stored.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(dpopTok), Obtained: epoch}); err != nil {
		t.Fatal(err)
	}
	for _, dpop := range []bool{true, false} {
		src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
			return nil, tokenrefresh.Permanent(errors.New("no refresh in this test"))
		})
		r, _ := setup(t, tokenrefresh.Config{DPoP: dpop, Store: stored, Clock: newClock()}, src)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		tok, err := r.Token(ctx)
		if dpop && (err != nil || tok.AccessToken != "stored") {
			t.Errorf("Config.DPoP: the stored DPoP token gives %v, %v; want it served", tok, err)
		}
		if !dpop && err == nil {
			t.Errorf("no Config.DPoP: the stored DPoP token was served; want it refused")
		}
		r.Close()
	}
}
