package oauth

import (
	"context"
	"net/url"

	"github.com/bearer-go/bearer/internal/redact"
)

// call posts form, with the client's authentication, to an endpoint that
// is not the token endpoint (revocation, introspection, device
// authorization), logs the outcome as what, and returns a 2xx answer, or
// an [*Error] for any other. secrets are kept out of errors, with the
// client's secret and assertion; call returns them all, for the caller's
// own reading of the answer.
func (e *endpoint) call(ctx context.Context, what string, form url.Values, secrets ...string) (*answer, []string, error) {
	a, err := e.authorized(form, e.s.Now())
	if err != nil {
		return nil, nil, err
	}
	secrets = append(append(secrets, e.client.Secret.Reveal(), a.assertion), redact.ValuesSecrets(form)...)
	ans, err := e.post(ctx, a, secrets)
	if err != nil {
		return nil, nil, err
	}
	e.log(ctx, what, ans, nil)
	if ans.status < 200 || ans.status > 299 {
		return nil, nil, newError(ans, secrets)
	}
	return ans, secrets, nil
}

// tokenForm is the form of a request about token (RFC 7009 2.1, RFC 7662
// 2.1); hint is optional.
func tokenForm(token string, hint TokenTypeHint) url.Values {
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", string(hint))
	}
	return form
}
