package tokenrefresh

import (
	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// remember records tok's secrets so they are scrubbed from errors and logs.
func (r *Refresher) remember(tok *oauth2.Token) {
	r.secrets.Add(tok.AccessToken, tok.RefreshToken)
}

// redact returns err's message with every remembered token removed, in
// every encoding the registry knows.
func (r *Refresher) redact(err error) string {
	if err == nil {
		return ""
	}
	return r.secrets.Redact(err.Error())
}

// redacted returns err as an error whose message has every remembered
// token removed; errors.Is and errors.As still see err.
func (r *Refresher) redacted(err error) error {
	if err == nil {
		return nil
	}
	return redact.NewError(err, r.redact(err))
}
