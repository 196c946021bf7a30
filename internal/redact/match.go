package redact

import (
	"strings"
	"unicode/utf8"
)

// The matcher finds a secret in a text however a server wrote it: each
// character raw, percent-encoded (upper- or lower-case hex, a space as
// '+', also encoded twice: %252F), JSON-escaped (\/, \", \u002f, \u002F,
// a surrogate pair) or HTML-escaped (&amp;, &#47;, &#x2f;), in any
// mixture, as the encoders of every language write them. A list of
// encoded forms cannot do this: Python's quote keeps '/', PHP escapes it
// as \/, a JSON encoder may escape any character, a form may be written
// with lower-case hex.

// matchStatus says how a text at a position relates to a secret.
type matchStatus int

const (
	noMatch   matchStatus = iota
	fullMatch             // the text encodes the whole secret there
	cutMatch              // the text ends while it still encodes the secret
)

// maxEntity bounds an HTML character reference: &#x0000002F; is 11 bytes.
const maxEntity = 12

// maxEncodedPerByte bounds how many bytes of text one byte of a secret
// can take in any encoding the matcher reads.
const maxEncodedPerByte = maxEntity

// redactEncoded returns s with every encoding of secret replaced by
// [Placeholder]. It reads the text twice: once taking a '%', '\' or '&'
// as itself first, once as the start of an escape first, so a secret
// that holds those characters is found both raw and encoded.
func redactEncoded(s, secret string) string {
	for _, escFirst := range []bool{false, true} {
		s = replaceMatches(s, secret, escFirst)
	}
	return s
}

func replaceMatches(s, secret string, escFirst bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if !mayStart(s[i], secret[0]) {
			continue
		}
		end, st := matchAt(s, i, secret, escFirst)
		if st != fullMatch {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(Placeholder)
		last, i = end, end-1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// trailingEncoded returns the length of the longest end of s, at least
// minSecretLen bytes long, that is the start of an encoding of secret
// (where s was cut); zero if none.
func trailingEncoded(s, secret string) int {
	for i := max(0, len(s)-maxEncodedPerByte*len(secret)); i <= len(s)-minSecretLen; i++ {
		if !mayStart(s[i], secret[0]) {
			continue
		}
		for _, escFirst := range []bool{false, true} {
			if _, st := matchAt(s, i, secret, escFirst); st == cutMatch {
				return len(s) - i
			}
		}
	}
	return 0
}

// mayStart reports whether c may start an encoding of a secret whose
// first byte is first.
func mayStart(c, first byte) bool {
	return c == first || c == '%' || c == '\\' || c == '&' || (c == '+' && first == ' ')
}

// matchAt reads an encoding of secret starting at s[i], one character of
// the secret at a time, and says where it ends.
func matchAt(s string, i int, secret string, escFirst bool) (int, matchStatus) {
	j := i
	for k := 0; k < len(secret); {
		r, size := utf8.DecodeRuneInString(secret[k:])
		n, st := matchRune(s[j:], secret[k:k+size], r, escFirst)
		if st != fullMatch {
			return len(s), st
		}
		j += n
		k += size
	}
	return j, fullMatch
}

// matchRune reads one character of a secret, r (whose UTF-8 bytes are
// raw), at the start of t: as its bytes, each raw or percent-encoded, or
// as one JSON or HTML escape, in the order escFirst says. The first
// reading that matches, or that t ends in, is taken.
func matchRune(t, raw string, r rune, escFirst bool) (int, matchStatus) {
	var n int
	var st matchStatus
	for _, esc := range []bool{escFirst, !escFirst} {
		if esc {
			n, st = matchEscape(t, r)
		} else {
			n, st = matchBytes(t, raw, escFirst)
		}
		if st != noMatch {
			break
		}
	}
	return n, st
}

// matchBytes reads raw at the start of t, each byte as itself, as a
// percent escape (once or twice encoded), or a space as '+'. pctFirst
// reads a '%' as an escape before reading it as itself.
func matchBytes(t, raw string, pctFirst bool) (int, matchStatus) {
	p := 0
	for q := 0; q < len(raw); q++ {
		if p == len(t) {
			return 0, cutMatch
		}
		b := raw[q]
		n, st := percent(t[p:], b)
		switch {
		case st == fullMatch && (pctFirst || t[p] != b):
			p += n
		case t[p] == b || (b == ' ' && t[p] == '+'):
			p++
		case st == cutMatch:
			return 0, cutMatch
		default:
			return 0, noMatch
		}
	}
	return p, fullMatch
}

// percent reads b percent-encoded at the start of t: %2F, %2f, or
// encoded twice, %252F.
func percent(t string, b byte) (int, matchStatus) {
	if t == "" || t[0] != '%' {
		return 0, noMatch
	}
	cut := false
	for _, n := range []int{5, 3} {
		if n == 5 && !strings.HasPrefix(t, "%25") && !strings.HasPrefix("%25", t) {
			continue
		}
		if len(t) < n {
			cut = true
			continue
		}
		if v, ok := hexValue(t[n-2 : n]); ok && byte(v) == b {
			return n, fullMatch
		}
	}
	if cut {
		return 0, cutMatch
	}
	return 0, noMatch
}

// matchEscape reads r as one JSON escape (\/, \n, \u002f, a surrogate
// pair) or one HTML character reference (&amp;, &#47;, &#x2F;) at the
// start of t.
func matchEscape(t string, r rune) (int, matchStatus) {
	if t == "" {
		return 0, cutMatch
	}
	var got rune
	var n int
	var st matchStatus
	switch t[0] {
	case '\\':
		got, n, st = jsonEscape1(t)
	case '&':
		got, n, st = htmlEscape1(t)
	default:
		return 0, noMatch
	}
	if st == fullMatch && got != r {
		st = noMatch
	}
	return n, st
}

// jsonShort are the JSON escapes of one letter, and JavaScript's \'.
var jsonShort = map[byte]rune{'/': '/', '\\': '\\', '"': '"', '\'': '\'', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// jsonEscape1 decodes the JSON escape at the start of t, which starts
// with '\'.
func jsonEscape1(t string) (rune, int, matchStatus) {
	if len(t) < 2 {
		return 0, 0, cutMatch
	}
	if r, ok := jsonShort[t[1]]; ok {
		return r, 2, fullMatch
	}
	if t[1] != 'u' {
		return 0, 0, noMatch
	}
	if len(t) < 6 {
		return 0, 0, cutMatch
	}
	v, ok := hexValue(t[2:6])
	if !ok {
		return 0, 0, noMatch
	}
	if v < 0xD800 || v > 0xDBFF {
		return rune(v), 6, fullMatch
	}
	// A high surrogate: the rune is written as two escapes.
	if len(t) < 12 {
		return 0, 0, cutMatch
	}
	lo, ok := hexValue(t[8:12])
	if t[6:8] != `\u` || !ok || lo < 0xDC00 || lo > 0xDFFF {
		return 0, 0, noMatch
	}
	return 0x10000 + (rune(v)-0xD800)<<10 + (rune(lo) - 0xDC00), 12, fullMatch
}

// htmlNamed are the named references HTML escapers write.
var htmlNamed = map[string]rune{"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\'', "sol": '/', "plus": '+', "equals": '='}

// htmlEscape1 decodes the HTML character reference at the start of t,
// which starts with '&'.
func htmlEscape1(t string) (rune, int, matchStatus) {
	semi := strings.IndexByte(t[:min(len(t), maxEntity)], ';')
	if semi < 0 {
		if len(t) < maxEntity {
			return 0, 0, cutMatch
		}
		return 0, 0, noMatch
	}
	name := t[1:semi]
	if r, ok := htmlNamed[strings.ToLower(name)]; ok {
		return r, semi + 1, fullMatch
	}
	num, ok := strings.CutPrefix(name, "#")
	if !ok || num == "" {
		return 0, 0, noMatch
	}
	var v uint32
	if h, isHex := strings.CutPrefix(strings.ToLower(num), "x"); isHex {
		v, ok = hexValue(h)
	} else {
		v, ok = decValue(num)
	}
	if !ok {
		return 0, 0, noMatch
	}
	return rune(v), semi + 1, fullMatch
}

// hexValue reads h, 1 to 8 hex digits of either case.
func hexValue(h string) (uint32, bool) {
	if h == "" || len(h) > 8 {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(h); i++ {
		c := h[i] | 0x20 // lower case for letters
		switch {
		case h[i] >= '0' && h[i] <= '9':
			v = v<<4 | uint32(h[i]-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// decValue reads d, 1 to 9 decimal digits.
func decValue(d string) (uint32, bool) {
	if d == "" || len(d) > 9 {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
		v = v*10 + uint32(d[i]-'0')
	}
	return v, true
}
