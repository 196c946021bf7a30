// Package oneline makes text from servers safe to put in one line of an
// error message or a log: no control characters, no invalid UTF-8, and a
// bounded length. The root package and oauth share it.
package oneline

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s trimmed, with control characters turned into spaces,
// invalid UTF-8 dropped, and cut to at most n bytes (an ellipsis marks a
// cut).
func Clean(s string, n int) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError {
			continue
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// HTMLTitle returns the cleaned text of an HTML page's <title>, at most n
// bytes, or "" if it has none.
func HTMLTitle(body []byte, n int) string {
	i := bytes.Index(bytes.ToLower(body), []byte("<title>"))
	if i < 0 {
		return ""
	}
	rest := body[i+len("<title>"):]
	j := bytes.Index(bytes.ToLower(rest), []byte("</title>"))
	if j < 0 {
		return ""
	}
	return Clean(string(rest[:j]), n)
}
