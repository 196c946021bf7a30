// Package secret holds the values bearer must never print: passwords,
// client secrets, refresh tokens, the token a lineage starts from.
//
// A [Value] prints as REDACTED under every fmt verb, in slog (text and
// JSON) and through json.Marshal, and it keeps printing so when it sits
// in a struct that fmt walks by reflection, in an unexported field of the
// caller's own type, where no method of it is called: the value is held
// behind a pointer to a pointer, which fmt prints as an address. Every
// configuration in bearer holds its secrets in a Value, so a
// configuration prints safely however it is printed, and needs no
// printing methods of its own.
//
// Reveal returns the value; it is the one place a secret leaves this
// type, so a search for Reveal finds every use.
package secret

import (
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"golang.org/x/oauth2"
)

// Redacted is what a set Value prints as.
const Redacted = "REDACTED"

// A Value holds a secret of type T: a string (a password, a client
// secret, a refresh token), a token, or a signing key. Its zero value holds nothing:
// [Value.IsZero] reports true and [Value.Reveal] returns T's zero value.
// A Value is immutable and safe for concurrent use; copies share the
// secret.
type Value[T comparable] struct {
	// p points to a pointer to the secret. fmt dereferences a pointer to
	// a struct even where it may call no method (with a verb such as %s
	// that does not fit a pointer), but prints a pointer to a pointer as
	// an address, whatever T is.
	p **T
}

// String is a secret string: a password, a client secret, a refresh
// token.
type String = Value[string]

// Token is a secret token: the token a lineage starts from, or one kept
// in a store.
type Token = Value[*oauth2.Token]

// Signer is a secret signing key, such as an *rsa.PrivateKey, an
// *ecdsa.PrivateKey or a key held in a KMS; see [NewSigner].
type Signer = Value[crypto.Signer]

// New returns a Value holding v. An empty string or a nil token gives
// the zero Value, so that New(os.Getenv("CLIENT_SECRET")) with the
// variable unset is as unset as the field left alone.
func New[T comparable](v T) Value[T] {
	var zero T
	if v == zero {
		return Value[T]{}
	}
	p := &v
	return Value[T]{p: &p}
}

// NewSigner returns a Value holding the signing key k, such as an
// *rsa.PrivateKey or an *ecdsa.PrivateKey; nil gives the zero Value.
func NewSigner(k crypto.Signer) Signer { return New(k) }

// Reveal returns the secret, or T's zero value if v holds none. Keep what
// it returns out of errors and logs.
func (v Value[T]) Reveal() T {
	if v.p == nil {
		var zero T
		return zero
	}
	return **v.p
}

// IsZero reports whether v holds no secret.
func (v Value[T]) IsZero() bool { return v.p == nil }

// String returns Redacted, or "" if v holds no secret.
func (v Value[T]) String() string {
	if v.p == nil {
		return ""
	}
	return Redacted
}

// GoString returns what String does, so %#v prints no secret.
func (v Value[T]) GoString() string { return strconv.Quote(v.String()) }

// Format prints what String returns, whatever the verb (quoted for %q
// and %#v), so no verb prints the secret.
func (v Value[T]) Format(f fmt.State, verb rune) {
	s := v.String()
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		s = strconv.Quote(s)
	}
	io.WriteString(f, s)
}

// LogValue logs what String returns.
func (v Value[T]) LogValue() slog.Value { return slog.StringValue(v.String()) }

// MarshalJSON encodes what String returns, as a JSON string: a Value is
// never written out by json.Marshal. Stores write the revealed value
// explicitly.
func (v Value[T]) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(v.String())), nil }

// MarshalText encodes what String returns, for encoders of text formats.
func (v Value[T]) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalJSON reads the secret from JSON (a string for a String), so a
// secret can be decoded from a server's answer or a configuration file.
// The error never quotes the input. Note that MarshalJSON does not give
// the value back.
func (v *Value[T]) UnmarshalJSON(b []byte) error {
	var x T
	if err := json.Unmarshal(b, &x); err != nil {
		return fmt.Errorf("secret: cannot decode a %T from JSON", x)
	}
	*v = New(x)
	return nil
}

// UnmarshalText reads a String from text, for decoders of text formats
// (TOML, YAML, flags). It refuses other kinds of Value.
func (v *Value[T]) UnmarshalText(b []byte) error {
	s, ok := any(&v.p).(***string)
	if !ok {
		var x T
		return fmt.Errorf("secret: cannot decode a %T from text", x)
	}
	*s = New(string(b)).p
	return nil
}
