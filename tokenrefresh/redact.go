package tokenrefresh

import (
	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// maxSecrets bounds how many past token values are kept for redaction.
const maxSecrets = 8

// remember records tok's secrets so they are scrubbed from errors and logs.
func (r *Refresher) remember(tok *oauth2.Token) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range []string{tok.AccessToken, tok.RefreshToken} {
		if v != "" {
			r.secrets = append(r.secrets, v)
		}
	}
	if n := len(r.secrets); n > maxSecrets {
		r.secrets = append(r.secrets[:0:0], r.secrets[n-maxSecrets:]...)
	}
}

// redact returns err's message with every remembered token removed. It
// must be called with r.mu held; it reads r.secrets.
func (r *Refresher) redact(err error) string {
	if err == nil {
		return ""
	}
	return redact.String(err.Error(), r.secrets...)
}

// redacted returns err as an error whose message has every remembered
// token removed; errors.Is and errors.As still see err. It takes r.mu.
func (r *Refresher) redacted(err error) error {
	if err == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return &redactedError{msg: r.redact(err), err: err}
}
