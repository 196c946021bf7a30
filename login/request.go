package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/secret"
)

// Encoding is how a request carries its fields.
type Encoding string

// The encodings of a request body.
const (
	// Form sends application/x-www-form-urlencoded fields, as an HTML
	// form (and seed 002's Flask login) does.
	Form Encoding = "form"
	// JSON sends a JSON object of strings (seed 004's login).
	JSON Encoding = "json"
)

// Credentials are a user name and password, held in memory only. The
// password is a [secret.Value], so Credentials print it as REDACTED
// however they are printed; this package never puts either in an error
// or a log line.
type Credentials struct {
	Username string
	Password secret.String
}

// set reports whether both parts are present.
func (c Credentials) set() bool { return c.Username != "" && !c.Password.IsZero() }

// Request describes the login request: where the credentials go and how.
// The zero value of each optional field has a documented default.
type Request struct {
	// Path is where to log in: a path resolved below the API's base URL
	// (such as "login" or "/users/v1/login"), or an absolute URL on the
	// same scheme and host. Required.
	Path string

	// Method is the HTTP method. Optional: empty means POST.
	Method string

	// Encoding is how the credentials are sent. Optional: empty means
	// Form for a session login and JSON for a token login.
	Encoding Encoding

	// UsernameField and PasswordField name the credential fields.
	// Optional: empty means "username" and "password". Seed 004 logs in
	// with "email".
	UsernameField, PasswordField string

	// Fields are extra fields sent with the credentials, such as a client
	// id. Optional. They must not repeat the credential fields, and must
	// not be secret: a field whose name says it is (client_secret,
	// api_key, ...) is refused; put it in SecretFields.
	Fields map[string]string

	// SecretFields are extra fields whose values are secret, such as a
	// client secret, sent like Fields and kept out of every error, log
	// line and printed configuration. Optional.
	SecretFields map[string]secret.String
}

// withDefaults returns r with its zero fields filled in; enc is the
// flow's default encoding.
func (r Request) withDefaults(enc Encoding) Request {
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	if r.Encoding == "" {
		r.Encoding = enc
	}
	if r.UsernameField == "" {
		r.UsernameField = "username"
	}
	if r.PasswordField == "" {
		r.PasswordField = "password"
	}
	return r
}

// validate checks a Request after withDefaults; name is its Config field.
func (r Request) validate(name string) error {
	switch {
	case r.Path == "":
		return fmt.Errorf("login: %s.Path is required: the path of the login endpoint, such as \"/login\"", name)
	case r.Encoding != Form && r.Encoding != JSON:
		return fmt.Errorf("login: %s.Encoding is %q: use login.Form or login.JSON", name, r.Encoding)
	case r.UsernameField == r.PasswordField:
		return fmt.Errorf("login: %s.UsernameField and PasswordField are both %q", name, r.UsernameField)
	case strings.ContainsAny(r.Method, " \t\r\n"):
		return fmt.Errorf("login: %s.Method %q is not an HTTP method", name, r.Method)
	case !hasBody(r.Method):
		return fmt.Errorf("login: %s.Method is %s, which has no body for the credentials (and a URL is no place for them): use POST", name, r.Method)
	}
	for k := range r.Fields {
		if k == r.UsernameField || k == r.PasswordField {
			return fmt.Errorf("login: %s.Fields must not set %q: it is a credential field", name, k)
		}
		if redact.IsSensitiveParam(k) {
			return fmt.Errorf("login: %s.Fields[%q] looks secret: put it in %s.SecretFields, which is never printed", name, k, name)
		}
	}
	for k := range r.SecretFields {
		if k == r.UsernameField || k == r.PasswordField || r.Fields[k] != "" {
			return fmt.Errorf("login: %s.SecretFields must not set %q: it is a credential field or in Fields", name, k)
		}
	}
	return checkPath(name+".Path", r.Path)
}

// checkPath refuses a path that carries credentials or a fragment. Its
// host is checked against the base URL when the request is built.
func checkPath(name, path string) error {
	u, err := url.Parse(path)
	switch {
	case err != nil:
		return fmt.Errorf("login: %s is not a URL path", name)
	case u.User != nil:
		return fmt.Errorf("login: %s must not carry a user name or password: set Credentials", name)
	case u.Fragment != "":
		return fmt.Errorf("login: %s must not have a fragment", name)
	}
	return nil
}

// hasBody reports whether requests of method carry a body.
func hasBody(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// newRequest builds a request of c for path carrying fields in enc, or no
// body if there are none. It carries none of the client's tokens: the
// requests of a login carry their own credentials.
func newRequest(ctx context.Context, c *bearer.Client, method, path string, enc Encoding, fields map[string]string) (*http.Request, error) {
	var body any
	switch {
	case len(fields) == 0:
	case enc == JSON:
		body = fields // JSON, with its Content-Type
	default:
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		body = []byte(form.Encode())
	}
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if len(fields) > 0 && enc != JSON {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Del("Authorization")
	return req, nil
}

// credentialRequest builds the login request r for creds.
func credentialRequest(ctx context.Context, x *httpx.Exchange, c *bearer.Client, r Request, creds Credentials) (*http.Request, error) {
	fields := make(map[string]string, len(r.Fields)+len(r.SecretFields)+2)
	for k, v := range r.Fields {
		fields[k] = v
	}
	for k, v := range r.SecretFields {
		fields[k] = v.Reveal()
	}
	fields[r.UsernameField] = creds.Username
	fields[r.PasswordField] = creds.Password.Reveal()
	req, err := newRequest(ctx, c, r.Method, r.Path, r.Encoding, fields)
	if err != nil {
		return nil, errors.New("login: build the login request: " + x.Secrets.Redact(err.Error()))
	}
	return req, nil
}

// send sends req, a request that carries credentials (a login, a refresh,
// a logout), through x: no redirect followed, no retry, the answer read
// within MaxResponseBytes. An answer outside 2xx is a *bearer.APIError,
// redacted with x's registry.
func send(x *httpx.Exchange, req *http.Request, now time.Time) (*httpx.Answer, error) {
	a, err := x.Send(req, MaxResponseBytes)
	if err != nil {
		return nil, err
	}
	if a.StatusCode < 200 || a.StatusCode > 299 {
		return nil, httpx.NewAPIError(a, x.Secrets, now)
	}
	return a, nil
}

// cleanURL returns req's URL for messages, with sensitive query values
// and every secret of x removed.
func cleanURL(x *httpx.Exchange, req *http.Request) string {
	return httpx.RedactURL(req.URL, x.Secrets)
}

// secrets returns the values of r's secret fields and creds' password.
func (r Request) secrets(creds Credentials) []string {
	s := []string{creds.Password.Reveal()}
	for _, v := range r.SecretFields {
		s = append(s, v.Reveal())
	}
	return s
}
