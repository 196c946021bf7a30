package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// IntrospectionConfig configures token introspection (RFC 7662): a
// resource server asks the authorization server whether a token it was
// given is active, and what it grants.
type IntrospectionConfig struct {
	// IntrospectionURL is the introspection endpoint. Required unless
	// Metadata gives it.
	IntrospectionURL string

	// TokenURL is the token endpoint: the audience of client assertions.
	// Required with ClientSecretJWT and PrivateKeyJWT unless
	// Client.Audience is set or Metadata gives it.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills IntrospectionURL and TokenURL when empty, and the
	// client's authentication is checked against what the server takes.
	Metadata *Metadata

	// Client authenticates the caller, as RFC 7662 2.1 requires so that
	// the server does not answer anyone who holds a token. Required, with
	// a Method other than AuthNone.
	Client ClientAuth

	Settings
}

func (c *IntrospectionConfig) validate() (u *url.URL, aud string, err error) {
	if u, err = c.Metadata.url("IntrospectionURL", c.IntrospectionURL, "introspection_endpoint", c.AllowInsecureHTTP, c.Client); err != nil {
		return nil, "", err
	}
	if err := c.Client.validate(false); err != nil {
		return nil, "", err
	}
	if c.Client.Method == AuthNone {
		return nil, "", errors.New("oauth: introspection needs client authentication (RFC 7662 2.1): AuthNone cannot be used")
	}
	if err := c.Metadata.supportsIntrospection(c.Client); err != nil {
		return nil, "", err
	}
	if aud, err = c.Metadata.otherAudience("introspection", c.TokenURL, c.Client, c.AllowInsecureHTTP); err != nil {
		return nil, "", err
	}
	return u, aud, c.Settings.validate()
}

// Introspector asks an authorization server about tokens. Create it with
// [NewIntrospector]; it is safe for concurrent use.
type Introspector struct {
	ep *endpoint
}

// NewIntrospector checks cfg and returns an introspector. It does no I/O.
func NewIntrospector(cfg IntrospectionConfig) (*Introspector, error) {
	u, aud, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &Introspector{ep: newOtherEndpoint(u, aud, cfg.Client, cfg.Settings)}, nil
}

// Introspection is the server's answer about a token (RFC 7662 2.2).
// Only Active is always there; the server chooses which other fields it
// sends, and an inactive token has none. Times are zero when absent.
type Introspection struct {
	// Active says the token is valid now: issued by this server, not
	// revoked, not expired, and usable by the caller.
	Active bool

	Scope     []string  // scope, split at spaces
	ClientID  string    // client_id: the client the token was issued to
	Username  string    // username: the resource owner, readable
	TokenType string    // token_type, such as Bearer
	Expiry    time.Time // exp
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf
	Subject   string    // sub: the resource owner, as an identifier
	Audience  []string  // aud: a string or a list
	Issuer    string    // iss
	JWTID     string    // jti

	// Extra holds every field of the answer, the ones above included, as
	// encoding/json decodes them.
	Extra map[string]any
}

// Introspect asks the server about token (RFC 7662 2.1); hint is
// optional. An inactive token (unknown, expired, revoked) is an answer,
// not an error: Active is false. A failure is an [*Error] (a refused
// client is a permanent 401 invalid_client, RFC 7662 2.3), or a
// [*RequestError] when no answer came; Introspect does not retry. The
// token never appears in an error.
func (i *Introspector) Introspect(ctx context.Context, token string, hint TokenTypeHint) (*Introspection, error) {
	if token == "" {
		return nil, errors.New("oauth: Introspect needs a token")
	}
	ans, secrets, err := i.ep.call(ctx, "introspection", tokenForm(token, hint), token)
	if err != nil {
		return nil, err
	}
	return parseIntrospection(ans, secrets)
}

// parseIntrospection reads a 2xx answer of the introspection endpoint
// (RFC 7662 2.2). A field of an unexpected type reads as absent.
func parseIntrospection(a *answer, secrets []string) (*Introspection, error) {
	body := bytes.TrimSpace(a.body)
	if a.oversize || len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("oauth: %s answered %d with %s instead of an introspection response: check the introspection URL",
			a.endpoint, a.status, a.describe(secrets...))
	}
	var raw map[string]json.RawMessage
	var extra map[string]any
	if json.Unmarshal(body, &raw) != nil || json.Unmarshal(body, &extra) != nil {
		return nil, fmt.Errorf("oauth: %s answered %d with malformed JSON instead of an introspection response", a.endpoint, a.status)
	}
	var active bool
	if json.Unmarshal(raw["active"], &active) != nil {
		return nil, fmt.Errorf("oauth: %s answered without the boolean active field RFC 7662 2.2 requires", a.endpoint)
	}
	if !active {
		return &Introspection{Extra: extra}, nil
	}
	str := func(k string) string { return jsonText(raw[k]) }
	return &Introspection{
		Active: true, Scope: strings.Fields(str("scope")), ClientID: str("client_id"), Username: str("username"),
		TokenType: str("token_type"), Expiry: numericDate(str("exp")), IssuedAt: numericDate(str("iat")),
		NotBefore: numericDate(str("nbf")), Subject: str("sub"), Audience: audience(raw["aud"]), Issuer: str("iss"),
		JWTID: str("jti"), Extra: extra,
	}, nil
}

// audience reads aud: a string or a list of strings (RFC 7519 4.1.3).
func audience(raw json.RawMessage) []string {
	if s := jsonText(raw); s != "" {
		return []string{s}
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil {
		return nil
	}
	return many
}

// numericDate reads a NumericDate (RFC 7519 2): seconds since the epoch,
// perhaps with a fraction. It returns the zero time when s is empty or
// not a number within the years 1970 to 9999.
func numericDate(s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > maxUnixSeconds {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// maxUnixSeconds bounds the NumericDates believed: the end of 9999.
const maxUnixSeconds = 253402300799
