package redact

import (
	"errors"
	"net/url"
)

// Error is an error whose message has had its secrets removed. errors.Is
// and errors.As see the error it was made from, so callers can still
// match a timeout, a context's end or a typed error; errors.Unwrap does
// not return it, since its message, which a caller walking the chain
// would print, was not redacted.
type Error struct {
	msg string
	err error
}

// NewError returns an error that reads msg, err's message with its
// secrets removed, and matches what err matches.
func NewError(err error, msg string) *Error { return &Error{msg: msg, err: err} }

// Error returns the redacted message.
func (e *Error) Error() string { return e.msg }

// Is reports whether the error it was made from matches target.
func (e *Error) Is(target error) bool { return errors.Is(e.err, target) }

// As finds the first error in the chain of the error it was made from
// that matches target.
func (e *Error) As(target any) bool { return errors.As(e.err, target) }

// URLSecrets returns the secrets u carries by their place: the values of
// its sensitive query parameters and its password. A server may echo
// them, in any encoding, and an error may quote them.
func URLSecrets(u *url.URL) []string {
	if u == nil {
		return nil
	}
	var out []string
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	if u.RawQuery == "" {
		return out
	}
	return append(out, ValuesSecrets(u.Query())...)
}

// ValuesSecrets returns the values of v's sensitive fields: a query's or a
// form's (an api_key or a subject_token a caller added to a token
// request's parameters).
func ValuesSecrets(v url.Values) []string {
	var out []string
	for k, vs := range v {
		if IsSensitiveParam(k) {
			out = append(out, vs...)
		}
	}
	return out
}
