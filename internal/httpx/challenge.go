package httpx

import "strings"

// A Challenge is one parsed WWW-Authenticate challenge (RFC 9110 11.6.1),
// as servers send with a 401: Bearer realm="api", error="invalid_token",
// error_description="The access token expired" (RFC 6750 3), or Basic
// realm="Password incorrect" (seed 002).
type Challenge struct {
	Scheme string            // the auth scheme, as sent ("Bearer")
	Params map[string]string // parameter names in lower case; a token68 is under ""
}

const (
	// maxChallengeLen bounds the header text parsed, per header.
	maxChallengeLen = 4 << 10
	// maxChallenges bounds the challenges kept from one answer.
	maxChallenges = 16
)

// ParseChallenges parses every challenge of every WWW-Authenticate header
// value in values, in order. It is lenient: a malformed part ends the
// header it is in, keeping what came before.
func ParseChallenges(values []string) []Challenge {
	var out []Challenge
	for _, v := range values {
		if len(v) > maxChallengeLen {
			v = v[:maxChallengeLen]
		}
		p := challengeParser{s: v}
		for len(out) < maxChallenges {
			c, ok := p.next()
			if !ok {
				break
			}
			out = append(out, c)
		}
	}
	return out
}

// challengeParser reads challenges from s, from position i.
type challengeParser struct {
	s string
	i int
}

// next returns the next challenge, or false at the end or at text it
// cannot read.
func (p *challengeParser) next() (Challenge, bool) {
	p.skip(" \t,")
	scheme := p.token()
	if scheme == "" {
		return Challenge{}, false
	}
	c := Challenge{Scheme: scheme, Params: map[string]string{}}
	p.skip(" \t")
	if t68, ok := p.token68(); ok {
		c.Params[""] = t68
		return c, true
	}
	for p.param(c.Params) {
	}
	return c, true
}

// param reads one auth-param (name=value, the value a token or a quoted
// string) and the comma after it. It reads nothing and returns false if
// what follows is no param: the end, or the next challenge's scheme.
func (p *challengeParser) param(params map[string]string) bool {
	start := p.i
	name := p.token()
	p.skip(" \t")
	if name == "" || !p.consume('=') {
		p.i = start
		return false
	}
	p.skip(" \t")
	value, ok := p.value()
	if !ok {
		p.i = len(p.s) // unreadable: nothing after it can be trusted
		return false
	}
	if k := strings.ToLower(name); params[k] == "" {
		params[k] = value
	}
	p.skip(" \t")
	if !p.consume(',') {
		return false
	}
	p.skip(" \t,")
	return true
}

// token68 reads a token68 (RFC 9110 11.2) if that, and not a parameter,
// is what follows the scheme: a run of token68 characters, padding, then
// the end or a comma.
func (p *challengeParser) token68() (string, bool) {
	j := p.i
	for j < len(p.s) && isToken68(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", false
	}
	k := j
	for k < len(p.s) && p.s[k] == '=' {
		k++
	}
	rest := strings.TrimLeft(p.s[k:], " \t")
	if rest != "" && rest[0] != ',' {
		return "", false
	}
	v := p.s[p.i:k]
	p.i = k
	return v, true
}

// value reads a token or a quoted string.
func (p *challengeParser) value() (string, bool) {
	if !p.consume('"') {
		v := p.token()
		return v, v != ""
	}
	var b strings.Builder
	for ; p.i < len(p.s); p.i++ {
		switch ch := p.s[p.i]; ch {
		case '\\':
			if p.i+1 < len(p.s) {
				p.i++
				b.WriteByte(p.s[p.i])
			}
		case '"':
			p.i++
			return b.String(), true
		default:
			b.WriteByte(ch)
		}
	}
	return "", false
}

func (p *challengeParser) token() string {
	j := p.i
	for j < len(p.s) && isTchar(p.s[j]) {
		j++
	}
	t := p.s[p.i:j]
	p.i = j
	return t
}

func (p *challengeParser) consume(ch byte) bool {
	if p.i < len(p.s) && p.s[p.i] == ch {
		p.i++
		return true
	}
	return false
}

func (p *challengeParser) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// isTchar reports whether c may appear in a token (RFC 9110 5.6.2).
func isTchar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken68 reports whether c may appear in a token68 before its padding.
func isToken68(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0
}
