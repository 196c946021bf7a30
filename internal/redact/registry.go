package redact

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// maxRegistered bounds how many secrets a Registry remembers: the current
// and recent tokens of a lineage, a refresh token, the client's own
// credentials. The oldest are forgotten first.
const maxRegistered = 32

// A Registry is the one list of secrets a client has seen: its
// credentials and the token values it has sent or received. [Registry.Redact]
// removes each of them in every form a server might echo: raw, and each
// character in any mixture of percent-encoding (either case, '+', twice
// encoded), JSON escapes (\/, \u002f, \u002F) and HTML references
// (&amp;, &#47;); and base64-encoded (std and URL alphabets, padded or
// not, alone or inside a longer value such as a Basic header's "id:secret").
//
// The zero value is an empty registry, ready to use. A Registry is safe
// for concurrent use; its secrets are held behind pointers, so that fmt
// prints their addresses, never their values, if a Registry is printed by
// reflection.
type Registry struct {
	mu    sync.Mutex // guards forms
	forms [][]*string
}

// Add remembers each secret of values that is at least minSecretLen
// long, with every form of it to remove. A secret already remembered
// becomes the newest again, so that a client which adds its long-lived
// credentials with every request never has them pushed out by the
// tokens it receives.
func (r *Registry) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) < minSecretLen {
			continue
		}
		if i := r.indexLocked(v); i >= 0 {
			if i < len(r.forms)-1 {
				f := r.forms[i]
				r.forms = append(r.forms[:i:i], r.forms[i+1:]...)
				r.forms = append(r.forms, f)
			}
			continue
		}
		r.forms = append(r.forms, formsOf(v))
		if n := len(r.forms); n > maxRegistered {
			r.forms = append(r.forms[:0:0], r.forms[n-maxRegistered:]...)
		}
	}
}

func (r *Registry) indexLocked(v string) int {
	for i, f := range r.forms {
		if *f[0] == v {
			return i
		}
	}
	return -1
}

// Redact returns s with every form of every remembered secret, and of
// each of extra, replaced by [Placeholder].
func (r *Registry) Redact(s string, extra ...string) string {
	return redactAll(s, r.all(extra))
}

// redactAll returns s with every form in all replaced by [Placeholder].
func redactAll(s string, all [][]*string) string {
	for _, forms := range all {
		s = replaceForms(s, forms)
	}
	return s
}

// all returns the forms of every remembered secret and of each of extra,
// the longest secret first.
func (r *Registry) all(extra []string) [][]*string {
	var all [][]*string
	if r != nil {
		r.mu.Lock()
		all = append(all, r.forms...)
		r.mu.Unlock()
	}
	for _, v := range extra {
		if len(v) >= minSecretLen {
			all = append(all, formsOf(v))
		}
	}
	// Longest first: a secret that holds another (a password inside a
	// token) is removed whole, not left in two pieces around the other.
	slices.SortStableFunc(all, func(a, b []*string) int { return len(*b[0]) - len(*a[0]) })
	return all
}

// RedactCut redacts s as [Registry.Redact] does, then cuts it to at most
// n bytes. Redacting first means a secret that straddles the cut is
// removed whole; a trailing piece of a secret that s itself was cut in
// (a body read up to a limit) is removed too.
func (r *Registry) RedactCut(s string, n int, extra ...string) string {
	all := r.all(extra)
	s = redactAll(s, all)
	s = dropTrailingPiece(s, all)
	if len(s) > n {
		s = dropTrailingPiece(s[:n], all)
	}
	return s
}

// dropTrailingPiece removes from the end of s a start of a secret, in
// any encoding (at least minSecretLen bytes of it), left where s was cut.
// all holds the secrets' forms, as [Registry.all] returns them.
func dropTrailingPiece(s string, all [][]*string) string {
	for _, forms := range all {
		k := trailingEncoded(s, *forms[0])
		for _, f := range forms[1:] {
			k = max(k, trailingPiece(s, *f))
		}
		if k > 0 {
			return s[:len(s)-k] + Placeholder
		}
	}
	return s
}

// trailingPiece returns the length of the longest proper start of form,
// at least minSecretLen long, that s ends with; zero if none.
func trailingPiece(s, form string) int {
	tail := s[max(0, len(s)-len(form)+1):]
	for i := 0; len(tail)-i >= minSecretLen; i++ {
		j := strings.IndexByte(tail[i:], form[0])
		if j < 0 || len(tail)-i-j < minSecretLen {
			return 0
		}
		i += j
		if strings.HasPrefix(form, tail[i:]) {
			return len(tail) - i
		}
	}
	return 0
}

// formsOf returns v, then the base64 encodings of v that a server might
// echo, longest first: those the matcher of [redactEncoded] cannot read
// one character at a time.
func formsOf(v string) []*string {
	seen := map[string]bool{}
	out := []*string{&v}
	var b64 []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for _, w := range []string{v, url.QueryEscape(v)} {
			b64 = append(b64, enc.EncodeToString([]byte(w)), enc.WithPadding(base64.NoPadding).EncodeToString([]byte(w)))
			b64 = append(b64, base64Cores(enc, w)...)
		}
	}
	slices.SortStableFunc(b64, func(a, b string) int { return len(b) - len(a) })
	for _, f := range b64 {
		if len(f) >= minSecretLen && !seen[f] {
			seen[f] = true
			out = append(out, &f)
		}
	}
	return out
}

// base64Cores returns, for each of the three byte offsets at which v may
// start inside a longer encoded value (a Basic header encodes
// "id:secret"), the characters of the encoding that depend on v alone.
func base64Cores(enc *base64.Encoding, v string) []string {
	var out []string
	for k := range 3 {
		e := enc.EncodeToString(append(make([]byte, k), v...))
		from, to := (8*k+5)/6, 8*(k+len(v))/6
		out = append(out, e[from:to])
	}
	return out
}

// replaceForms replaces in s every encoding of forms[0], then each base64
// form of it.
func replaceForms(s string, forms []*string) string {
	s = redactEncoded(s, *forms[0])
	for _, f := range forms[1:] {
		if strings.Contains(s, *f) {
			s = strings.ReplaceAll(s, *f, Placeholder)
		}
	}
	return s
}
