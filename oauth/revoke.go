package oauth

import (
	"context"
	"errors"
	"net/url"
)

// TokenTypeHint tells the revocation endpoint what kind of token it is
// given (RFC 7009 2.1).
type TokenTypeHint string

// The token type hints of RFC 7009 2.1.
const (
	HintAccessToken  TokenTypeHint = "access_token"
	HintRefreshToken TokenTypeHint = "refresh_token"
)

// RevocationConfig configures token revocation (RFC 7009).
type RevocationConfig struct {
	// RevocationURL is the revocation endpoint. Required unless Metadata
	// gives it.
	RevocationURL string

	// TokenURL is the token endpoint: the audience of client assertions,
	// which servers check against their token endpoint. Required with
	// ClientSecretJWT and PrivateKeyJWT unless Client.Audience is set or
	// Metadata gives it.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills RevocationURL and TokenURL when empty, and the
	// client's authentication is checked against what the server takes.
	Metadata *Metadata

	// Client authenticates the client, as at the token endpoint. Optional:
	// the zero value sends no client credentials; public clients use
	// AuthNone with their id.
	Client ClientAuth

	Settings
}

func (c *RevocationConfig) validate() (rev *url.URL, aud string, err error) {
	if rev, err = c.Metadata.url("RevocationURL", c.RevocationURL, "revocation_endpoint", c.AllowInsecureHTTP, c.Client); err != nil {
		return nil, "", err
	}
	if err := c.Client.validate(true); err != nil {
		return nil, "", err
	}
	if err := c.Metadata.supportsRevocation(c.Client); err != nil {
		return nil, "", err
	}
	if aud, err = c.Metadata.otherAudience("revocation", c.TokenURL, c.Client, c.AllowInsecureHTTP); err != nil {
		return nil, "", err
	}
	return rev, aud, c.Settings.validate()
}

// Revoker revokes tokens. Create it with [NewRevoker]; it is safe for
// concurrent use.
type Revoker struct {
	ep *endpoint
}

// NewRevoker checks cfg and returns a revoker. It does no I/O.
func NewRevoker(cfg RevocationConfig) (*Revoker, error) {
	u, aud, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &Revoker{ep: newOtherEndpoint(u, aud, cfg.Client, cfg.Settings)}, nil
}

// Revoke asks the server to revoke token (RFC 7009 2.1); hint is optional.
// Revoking a refresh token usually revokes the access tokens issued with
// it. The server answers success also for a token it does not know (RFC
// 7009 2.2), so nil means only that the token is not valid any more. A
// failure is an [*Error] (a 503 carries its Retry-After), or a
// [*RequestError] when no answer came; Revoke does not retry.
func (r *Revoker) Revoke(ctx context.Context, token string, hint TokenTypeHint) error {
	if token == "" {
		return errors.New("oauth: Revoke needs a token")
	}
	_, _, err := r.ep.call(ctx, "revocation", tokenForm(token, hint), token)
	return err
}
