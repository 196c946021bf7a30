package bearer

import (
	"context"
	"errors"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// A TokenSource returns a token to authorize a request. Token may block,
// for example while the first token is fetched; it must honour ctx and be
// safe for concurrent use. tokenrefresh.Refresher is the TokenSource that
// keeps a token alive for long-running programs.
type TokenSource interface {
	Token(ctx context.Context) (*oauth2.Token, error)
}

// An Invalidator is a TokenSource that can be told the server rejected a
// token. [Transport] calls Invalidate when a request authorized with
// rejected is answered 401, then asks for a new token and replays the
// request once. Invalidate must do nothing if rejected is no longer the
// source's current token.
type Invalidator interface {
	Invalidate(rejected *oauth2.Token)
}

// TokenSourceFunc adapts a function to a [TokenSource].
type TokenSourceFunc func(ctx context.Context) (*oauth2.Token, error)

// Token calls f(ctx).
func (f TokenSourceFunc) Token(ctx context.Context) (*oauth2.Token, error) { return f(ctx) }

// StaticToken returns a source that always returns the same token: for
// tokens that never change, and for tests. It cannot refresh, so it does not
// implement [Invalidator]. It prints as REDACTED.
func StaticToken(accessToken string) TokenSource {
	return staticSource{tok: secret.New(&oauth2.Token{AccessToken: accessToken, TokenType: "Bearer"})}
}

// staticSource holds its token as a secret, so it prints as REDACTED
// however it is printed.
type staticSource struct{ tok secret.Token }

func (s staticSource) Token(context.Context) (*oauth2.Token, error) {
	if t := s.tok.Reveal(); t.AccessToken != "" {
		return t, nil
	}
	return nil, errors.New("bearer: static token is empty")
}

// FromOAuth2 adapts an [oauth2.TokenSource], such as one from
// clientcredentials.Config or google.DefaultTokenSource, to a [TokenSource].
// The oauth2 source cannot honour ctx; its own HTTP client bounds it.
func FromOAuth2(ts oauth2.TokenSource) TokenSource {
	return oauth2Source{ts}
}

type oauth2Source struct{ ts oauth2.TokenSource }

func (s oauth2Source) Token(ctx context.Context) (*oauth2.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.ts.Token()
}

// ToOAuth2 adapts a [TokenSource], such as a tokenrefresh.Refresher, to an
// [oauth2.TokenSource] for libraries that want one. Each call uses
// [context.Background]: a Refresher answers from memory while its token is
// valid, so only a caller that must wait for a new token can wait long.
func ToOAuth2(ts TokenSource) oauth2.TokenSource {
	return toOAuth2{ts}
}

type toOAuth2 struct{ ts TokenSource }

func (s toOAuth2) Token() (*oauth2.Token, error) { return s.ts.Token(context.Background()) }
