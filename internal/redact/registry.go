package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
)

// maxRegistered bounds how many secrets a Registry remembers: the current
// and recent tokens of a lineage, a refresh token, the client's own
// credentials. The oldest are forgotten first.
const maxRegistered = 32

// A Registry is the one list of secrets a client has seen: its
// credentials and the token values it has sent or received. [Registry.Redact]
// removes each of them in every form a server might echo: raw,
// URL-encoded (query and path), JSON-escaped (with and without HTML
// escapes and escaped slashes) and base64-encoded (a Basic header).
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
	if r != nil {
		r.mu.Lock()
		for _, f := range r.forms {
			s = replaceForms(s, f)
		}
		r.mu.Unlock()
	}
	for _, v := range extra {
		if len(v) >= minSecretLen {
			s = replaceForms(s, formsOf(v))
		}
	}
	return s
}

// RedactCut redacts s as [Registry.Redact] does, then cuts it to at most
// n bytes. Redacting first means a secret that straddles the cut is
// removed whole; a trailing piece of a secret that s itself was cut in
// (a body read up to a limit) is removed too.
func (r *Registry) RedactCut(s string, n int, extra ...string) string {
	s = r.Redact(s, extra...)
	s = r.dropTrailingPiece(s, extra)
	if len(s) > n {
		s = r.dropTrailingPiece(s[:n], extra)
	}
	return s
}

// dropTrailingPiece removes from the end of s a start of a secret's form
// (at least minSecretLen bytes of it), left where s was cut.
func (r *Registry) dropTrailingPiece(s string, extra []string) string {
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
	for _, forms := range all {
		for _, f := range forms {
			if k := trailingPiece(s, *f); k > 0 {
				return s[:len(s)-k] + Placeholder
			}
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

// formsOf returns v and each distinct encoding of it a server might echo.
func formsOf(v string) []*string {
	seen := map[string]bool{}
	var out []*string
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, &f)
		}
	}
	add(v)
	add(url.QueryEscape(v))
	add(url.PathEscape(v))
	add(jsonEscape(v, true))
	add(jsonEscape(v, false))
	add(strings.ReplaceAll(jsonEscape(v, true), "/", `\/`))
	add(strings.ReplaceAll(jsonEscape(v, false), "/", `\/`))
	add(base64.StdEncoding.EncodeToString([]byte(v)))
	add(base64.RawURLEncoding.EncodeToString([]byte(v)))
	return out
}

// jsonEscape returns v as it appears inside a JSON string.
func jsonEscape(v string, html bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	enc.Encode(v)
	s := strings.TrimSuffix(b.String(), "\n")
	return s[1 : len(s)-1]
}

// replaceForms replaces each of forms in s, longest first so that a form
// that contains another is replaced whole.
func replaceForms(s string, forms []*string) string {
	for _, f := range forms {
		if strings.Contains(s, *f) {
			s = strings.ReplaceAll(s, *f, Placeholder)
		}
	}
	return s
}
