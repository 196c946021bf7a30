package httpx

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/bearer-go/bearer/internal/redact"
)

// An Answer is a response read whole within a limit, its connection
// released: what a client needs to read a token or an error.
type Answer struct {
	Method     string      // the request's method
	URL        *url.URL    // the request's URL
	StatusCode int         // the HTTP status
	Header     http.Header // the response's header
	Body       []byte      // the body, raw, at most the limit
	Oversize   bool        // the body was longer than the limit: Body is its start
}

// maxDrain bounds how much of an unwanted body is read so its connection
// can be reused; past it, the connection is closed instead.
const maxDrain = 64 << 10

// DrainAndClose reads what is left of body, up to maxDrain bytes, so its
// connection can be reused, and closes it.
func DrainAndClose(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	body.Close()
}

// ReadAnswer reads resp's body, up to limit bytes, and closes it.
func ReadAnswer(resp *http.Response, limit int64) (*Answer, error) {
	defer DrainAndClose(resp.Body)
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	a := &Answer{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}
	if req := resp.Request; req != nil {
		a.Method, a.URL = req.Method, req.URL
	}
	if int64(len(body)) > limit {
		a.Body, a.Oversize = body[:limit], true
	}
	return a, err
}

// Redacted returns what the answer says with every secret removed: the
// [Problem] its body and challenges state, and its body cut to at most
// keep bytes. The secrets are reg's, extra, those the request's URL
// carries (an api-key query value), and every value the body itself
// labels secret (an access_token field of a JSON or form-encoded
// body), in every encoding; they are removed before anything is cut, so
// no piece of a secret survives at the cut, nor at the end of a body
// that was read up to a limit.
func (a *Answer) Redacted(reg *redact.Registry, keep int, extra ...string) (Problem, string) {
	extra = append(extra, LabelledSecrets(a.Header, a.Body)...)
	extra = append(extra, redact.URLSecrets(a.URL)...)
	text := reg.Redact(string(a.Body), extra...)
	if a.Oversize {
		text = reg.RedactCut(text, len(text), extra...) // drop a piece of a secret at the read limit
	}
	text = canonicalIfLeaking(text, reg, extra)
	p := ParseProblem(redactedChallenges(a.Header, reg, extra), []byte(text))
	p.Code = reg.Redact(p.Code, extra...)
	p.Message = reg.Redact(p.Message, extra...)
	p.URI = reg.Redact(p.URI, extra...)
	for _, c := range p.Challenges {
		for k, v := range c.Params {
			c.Params[k] = reg.Redact(v, extra...)
		}
	}
	return p, cutUTF8(reg.RedactCut(text, keep, extra...), keep)
}

// redactedChallenges returns a header holding h's WWW-Authenticate values
// redacted as they came: the quoted-string reader drops the '\' of an
// escape a server wrote unquoted (\u0026 becomes u0026), after which no
// form of the secret is left to find. The challenges' parameters are
// redacted again once read.
func redactedChallenges(h http.Header, reg *redact.Registry, extra []string) http.Header {
	vs := h.Values("WWW-Authenticate")
	if len(vs) == 0 {
		return h
	}
	c := http.Header{"Content-Type": h.Values("Content-Type")}
	for _, v := range vs {
		c.Add("WWW-Authenticate", reg.Redact(v, extra...))
	}
	return c
}

// canonicalIfLeaking returns text as it is, unless it is JSON that still
// holds a secret once its escapes are decoded (a server may escape any
// character as \uXXXX): then the decoded value, redacted, re-encoded.
func canonicalIfLeaking(text string, reg *redact.Registry, extra []string) string {
	t := strings.TrimSpace(text)
	if t == "" || (t[0] != '{' && t[0] != '[') || !strings.Contains(t, `\`) {
		return text
	}
	var v any
	if json.Unmarshal([]byte(t), &v) != nil {
		return text
	}
	leaked := false
	v = redactJSON(v, reg, extra, &leaked)
	if !leaked {
		return text
	}
	b, err := json.Marshal(v)
	if err != nil {
		return redact.Placeholder
	}
	return string(b)
}

func redactJSON(v any, reg *redact.Registry, extra []string, leaked *bool) any {
	switch v := v.(type) {
	case string:
		if r := reg.Redact(v, extra...); r != v {
			*leaked = true
			return r
		}
	case map[string]any:
		for k, e := range v {
			v[k] = redactJSON(e, reg, extra, leaked)
		}
	case []any:
		for i, e := range v {
			v[i] = redactJSON(e, reg, extra, leaked)
		}
	}
	return v
}

// cutUTF8 returns at most n bytes of s, not splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
