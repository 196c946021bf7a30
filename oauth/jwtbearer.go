package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// JWTBearerGrantType is the grant_type of the JWT bearer grant (RFC 7523
// 2.1).
const JWTBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// JWTBearerConfig configures the JWT bearer grant (RFC 7523 2.1): a JWT
// asserting who the client acts for is traded for an access token, as a
// service account does. The assertion is either signed by the grant, a new
// one for each request (set Key, Issuer and Subject), or supplied (set
// Assertion or AssertionFunc), such as an identity token another system
// issued.
type JWTBearerConfig struct {
	// TokenURL is the token endpoint. Required unless Metadata gives it.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills TokenURL when empty, and the configuration is
	// checked against what the server says it supports.
	Metadata *Metadata

	// Key signs the assertion: an RSA key of at least 2048 bits (RS256 or
	// PS256), a P-256 ECDSA key (ES256) or an Ed25519 key (EdDSA), wrapped
	// with [secret.NewSigner]. The server must trust it for Issuer.
	Key secret.Signer

	// KeyID is the kid header of the assertion. Optional.
	KeyID string

	// Algorithm is the JWS alg of the assertion. Optional: empty means
	// RS256, ES256 or EdDSA by the key's type; PS256 for an RSA key under
	// RSASSA-PSS.
	Algorithm string

	// Issuer is the assertion's iss: who signed it, as the server knows
	// that issuer (RFC 7523 3). Required with Key.
	Issuer string

	// Subject is the assertion's sub: the user or service the token is
	// for (RFC 7523 3). Required with Key.
	Subject string

	// Audience is the assertion's aud. Optional: empty means the token
	// endpoint's URL, as RFC 7523 3 allows and servers such as fosite
	// require.
	Audience string

	// Claims are more claims of the assertion, such as a scope claim some
	// servers read there. Optional; they must not set iss, sub, aud, exp,
	// iat or jti, which the grant sets.
	Claims map[string]any

	// Assertion is a JWT signed by someone else, sent as it is. It is
	// usually valid once and for minutes: a token endpoint that has seen
	// its jti, or finds it expired, refuses it with invalid_grant, which
	// is permanent. Use AssertionFunc for one that can be renewed.
	Assertion secret.String

	// AssertionFunc returns the assertion for each request, such as a
	// workload identity token read again from its file. Optional.
	AssertionFunc func(ctx context.Context) (string, error)

	// Client authenticates the client. Optional: RFC 7523 3.1 makes it
	// optional, and the zero value sends no client credentials.
	Client ClientAuth

	// Scopes are the scopes requested. Optional.
	Scopes []string

	// Params are extra form parameters of the token request, such as
	// resource (RFC 8707) or audience. Optional.
	Params url.Values

	Settings
}

// reservedClaims are the claims the JWT bearer grant sets itself.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "jti"}

func (c *JWTBearerConfig) validate() (*url.URL, error) {
	u, err := c.Metadata.url("TokenURL", c.TokenURL, "token_endpoint", c.AllowInsecureHTTP, c.Client)
	if err != nil {
		return nil, err
	}
	if err := c.checkSource(); err != nil {
		return nil, err
	}
	if err := c.Client.validate(true); err != nil {
		return nil, err
	}
	if err := checkParams(c.Params); err != nil {
		return nil, err
	}
	if err := c.Metadata.supports(JWTBearerGrantType, c.Client, c.DPoP); err != nil {
		return nil, err
	}
	return u, c.Settings.validateFor(u)
}

// checkSource checks that exactly one way of getting the assertion is set,
// with what it needs.
func (c *JWTBearerConfig) checkSource() error {
	n := 0
	for _, set := range []bool{!c.Key.IsZero(), !c.Assertion.IsZero(), c.AssertionFunc != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errors.New("oauth: the JWT bearer grant needs exactly one of Key (to sign assertions), Assertion or AssertionFunc")
	}
	if c.Key.IsZero() {
		if c.Issuer != "" || c.Subject != "" || c.KeyID != "" || c.Algorithm != "" || c.Audience != "" || len(c.Claims) > 0 {
			return errors.New("oauth: Issuer, Subject, Audience, KeyID, Algorithm and Claims describe an assertion the grant signs with Key: leave them empty with a supplied assertion")
		}
		return nil
	}
	if c.Issuer == "" || c.Subject == "" {
		return errors.New("oauth: the JWT bearer grant signs with Key for Issuer and Subject: set both (RFC 7523 3)")
	}
	for _, k := range reservedClaims {
		if _, ok := c.Claims[k]; ok {
			return fmt.Errorf("oauth: Claims must not set %s: the grant sets it (use the Config fields)", k)
		}
	}
	_, err := signingAlg(c.Key.Reveal(), c.Algorithm, "")
	return err
}

// JWTBearer gets tokens with the JWT bearer grant. Create it with
// [NewJWTBearer]; it is safe for concurrent use. Wrap it in a Refresher
// with [NewRefresher] to keep a token alive: each refresh presents a new
// assertion.
type JWTBearer struct {
	ep  *endpoint
	cfg JWTBearerConfig
	aud string
}

// NewJWTBearer checks cfg and returns a JWT-bearer-grant source. It does
// no I/O.
func NewJWTBearer(cfg JWTBearerConfig) (*JWTBearer, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	ep := newEndpoint(u, cfg.Client, cfg.Settings)
	aud := cfg.Audience
	if aud == "" {
		aud = assertionAudience(u)
	}
	return &JWTBearer{ep: ep, cfg: cfg, aud: aud}, nil
}

// Token requests a new token with a new assertion (RFC 7523 2.1). A
// refused assertion is an [*Error] matching [ErrInvalidGrant].
func (j *JWTBearer) Token(ctx context.Context) (*oauth2.Token, error) {
	a, err := j.assertion(ctx)
	if err != nil {
		return nil, err
	}
	form := withParams(j.cfg.Params)
	form.Set("assertion", a)
	setScopes(form, j.cfg.Scopes)
	return j.ep.token(ctx, JWTBearerGrantType, form, a)
}

// Refresh requests a new token with a new assertion; current is ignored.
// It is the tokenrefresh.RefreshFunc of the grant.
func (j *JWTBearer) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	return j.Token(ctx)
}

// assertion returns the assertion of one request.
func (j *JWTBearer) assertion(ctx context.Context) (string, error) {
	switch {
	case !j.cfg.Assertion.IsZero():
		return j.cfg.Assertion.Reveal(), nil
	case j.cfg.AssertionFunc != nil:
		a, err := j.cfg.AssertionFunc(ctx)
		if err != nil {
			return "", fmt.Errorf("oauth: get the assertion: %w", err)
		}
		if a == "" {
			return "", errors.New("oauth: AssertionFunc returned an empty assertion")
		}
		return a, nil
	}
	return j.sign(j.ep.s.Now())
}

// sign makes the assertion of RFC 7523 3: iss, sub, aud, exp, iat and a
// fresh jti, so a server that remembers jti values never sees one twice.
func (j *JWTBearer) sign(now time.Time) (string, error) {
	claims := jwt.MapClaims{}
	for k, v := range j.cfg.Claims {
		claims[k] = v
	}
	claims["iss"] = j.cfg.Issuer
	claims["sub"] = j.cfg.Subject
	claims["aud"] = j.aud
	claims["jti"] = rand.Text()
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(AssertionLifetime).Unix()
	return signWithKey(j.cfg.Key.Reveal(), j.cfg.Algorithm, j.cfg.KeyID, claims)
}
