package oauth

import (
	"fmt"
	"io"
	"log/slog"
)

// The Config types and the sources built from them hold secrets. Their
// String, GoString and LogValue methods print the fields that are not
// secret, and REDACTED for those that are.

// String returns the config with its secrets redacted.
func (c ClientCredentialsConfig) String() string {
	return fmt.Sprintf("oauth.ClientCredentialsConfig{TokenURL:%q, Client:%s, Scopes:%q}", c.TokenURL, c.Client, c.Scopes)
}

// GoString returns the config with its secrets redacted.
func (c ClientCredentialsConfig) GoString() string { return c.String() }

// LogValue returns the config with its secrets redacted.
func (c ClientCredentialsConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_url", c.TokenURL), slog.Any("client", c.Client))
}

// String returns the config with its secrets redacted.
func (c PasswordConfig) String() string {
	return fmt.Sprintf("oauth.PasswordConfig{TokenURL:%q, Username:%q, Password:%q, Client:%s, Scopes:%q}",
		c.TokenURL, c.Username, mask(c.Password), c.Client, c.Scopes)
}

// GoString returns the config with its secrets redacted.
func (c PasswordConfig) GoString() string { return c.String() }

// LogValue returns the config with its secrets redacted.
func (c PasswordConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_url", c.TokenURL), slog.String("username", c.Username),
		slog.String("password", mask(c.Password)), slog.Any("client", c.Client))
}

// String returns the config with its secrets redacted.
func (c RefreshTokenConfig) String() string {
	return fmt.Sprintf("oauth.RefreshTokenConfig{TokenURL:%q, Client:%s, RefreshToken:%q, Scopes:%q}",
		c.TokenURL, c.Client, mask(c.RefreshToken), c.Scopes)
}

// GoString returns the config with its secrets redacted.
func (c RefreshTokenConfig) GoString() string { return c.String() }

// LogValue returns the config with its secrets redacted.
func (c RefreshTokenConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_url", c.TokenURL), slog.Any("client", c.Client),
		slog.String("refresh_token", mask(c.RefreshToken)))
}

// String returns the config with its secrets redacted.
func (c AuthCodeConfig) String() string {
	return fmt.Sprintf("oauth.AuthCodeConfig{AuthURL:%q, TokenURL:%q, Client:%s, Scopes:%q}", c.AuthURL, c.TokenURL, c.Client, c.Scopes)
}

// GoString returns the config with its secrets redacted.
func (c AuthCodeConfig) GoString() string { return c.String() }

// LogValue returns the config with its secrets redacted.
func (c AuthCodeConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("auth_url", c.AuthURL), slog.String("token_url", c.TokenURL), slog.Any("client", c.Client))
}

// String returns the config with its secrets redacted.
func (c RevocationConfig) String() string {
	return fmt.Sprintf("oauth.RevocationConfig{URL:%q, TokenURL:%q, Client:%s}", c.URL, c.TokenURL, c.Client)
}

// GoString returns the config with its secrets redacted.
func (c RevocationConfig) GoString() string { return c.String() }

// LogValue returns the config with its secrets redacted.
func (c RevocationConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", c.URL), slog.Any("client", c.Client))
}

// String names the source and its endpoint; it holds secrets, which it
// never prints.
func (c *ClientCredentials) String() string {
	return fmt.Sprintf("oauth.ClientCredentials{TokenURL:%q, Client:%s}", c.ep.name(), c.ep.client)
}

// GoString is String.
func (c *ClientCredentials) GoString() string { return c.String() }

// LogValue logs the source without its secrets.
func (c *ClientCredentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String names the source and its endpoint; it holds secrets, which it
// never prints.
func (p *Password) String() string {
	return fmt.Sprintf("oauth.Password{TokenURL:%q, Username:%q, Password:%q}", p.ep.name(), p.username, Redacted)
}

// GoString is String.
func (p *Password) GoString() string { return p.String() }

// LogValue logs the source without its secrets.
func (p *Password) LogValue() slog.Value { return slog.StringValue(p.String()) }

// String names the source and its endpoint; it holds secrets, which it
// never prints.
func (r *RefreshToken) String() string {
	return fmt.Sprintf("oauth.RefreshToken{TokenURL:%q, Client:%s, RefreshToken:%q}", r.ep.name(), r.ep.client, mask(r.initial))
}

// GoString is String.
func (r *RefreshToken) GoString() string { return r.String() }

// LogValue logs the source without its secrets.
func (r *RefreshToken) LogValue() slog.Value { return slog.StringValue(r.String()) }

// String names the flow and its endpoints; it holds secrets, which it
// never prints.
func (a *AuthCode) String() string {
	return fmt.Sprintf("oauth.AuthCode{AuthURL:%q, TokenURL:%q, Client:%s}", endpointName(a.auth), a.ep.name(), a.ep.client)
}

// GoString is String.
func (a *AuthCode) GoString() string { return a.String() }

// LogValue logs the flow without its secrets.
func (a *AuthCode) LogValue() slog.Value { return slog.StringValue(a.String()) }

// String names the revoker and its endpoint; it holds secrets, which it
// never prints.
func (r *Revoker) String() string {
	return fmt.Sprintf("oauth.Revoker{URL:%q, Client:%s}", r.ep.name(), r.ep.client)
}

// GoString is String.
func (r *Revoker) GoString() string { return r.String() }

// LogValue logs the revoker without its secrets.
func (r *Revoker) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (c ClientCredentialsConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (c PasswordConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (c RefreshTokenConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (c AuthCodeConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (c RevocationConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (c *ClientCredentials) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (p *Password) Format(f fmt.State, verb rune) { formatRedacted(f, verb, p) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (r *RefreshToken) Format(f fmt.State, verb rune) { formatRedacted(f, verb, r) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (a *AuthCode) Format(f fmt.State, verb rune) { formatRedacted(f, verb, a) }

// Format prints the value as String does, whatever the verb, so no verb
// prints its fields.
func (r *Revoker) Format(f fmt.State, verb rune) { formatRedacted(f, verb, r) }

// formatRedacted prints v for any verb through its String and GoString
// methods, which redact secrets. Without it, verbs such as %d or %x would
// print the fields of a struct one by one.
func formatRedacted(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
}) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, v.GoString())
		return
	}
	io.WriteString(f, v.String())
}
