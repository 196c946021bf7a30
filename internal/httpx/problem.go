package httpx

import (
	"bytes"
	"encoding/json"
	"html"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/bearer-go/bearer/internal/oneline"
)

// MaxMessage bounds Code, Message and URI: a description longer than
// this is a page, not a message.
const MaxMessage = 300

// BodyKind is what an answer's body is.
type BodyKind int

// The kinds of body [ParseProblem] tells apart.
const (
	EmptyBody BodyKind = iota
	JSONBody
	FormBody // application/x-www-form-urlencoded, whatever its label
	HTMLBody // a page: the body starts with '<'
	TextBody // anything else, also when labelled text/html
)

// A Problem is what an error answer says, read by [ParseProblem].
type Problem struct {
	Kind BodyKind
	// Code is the server's machine-readable code ("invalid_grant",
	// "token-expired", "LOGIN_BAD_CREDENTIALS"); empty if none.
	Code string
	// Message is the server's human-readable description; empty if none.
	Message string
	// URI is an RFC 6749 error_uri.
	URI string
	// Fields are the names of a form-encoded body's fields, sorted; its
	// values are never kept.
	Fields []string
	// Challenges are every challenge of every WWW-Authenticate header.
	Challenges []Challenge
}

// ParseProblem reads the error an answer states, from its body and its
// WWW-Authenticate headers. It understands RFC 6749 5.2 JSON (also with
// an {"error": {"code", "message"}} object), FastAPI's {"detail": …} (a
// code, a sentence or a validation list), {"message": …}, problem
// documents (RFC 9457 title), form-encoded answers (whose values other
// than error, error_description and error_uri are never kept), plain
// text (its first line, also when labelled text/html, as Flask sends
// it), HTML pages (their title), and RFC 6750 challenges: every one, in
// every header; a challenge's error and error_description fill Code and
// Message when the body gave none. body must already be redacted.
func ParseProblem(h http.Header, body []byte) Problem {
	mediaType, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	p := Problem{Challenges: ParseChallenges(h.Values("WWW-Authenticate"))}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		p.Kind = EmptyBody
	case trimmed[0] == '{' || trimmed[0] == '[':
		p.Kind = JSONBody
		p.readJSON(trimmed)
	case trimmed[0] == '<':
		p.Kind = HTMLBody
		p.Message = htmlMessage(trimmed)
		p.readHTMLError(trimmed)
	case isForm(mediaType, trimmed):
		p.Kind = FormBody
		p.readForm(trimmed)
	default:
		p.Kind = TextBody
		p.Message = clean(firstLine(string(trimmed)))
	}
	p.readChallenges()
	return p
}

// readChallenges fills Code and Message from the first challenge that
// has an error, if the body gave none.
func (p *Problem) readChallenges() {
	for _, c := range p.Challenges {
		if c.Params["error"] == "" {
			continue
		}
		if p.Code == "" {
			p.Code = clean(c.Params["error"])
			if p.Message == "" {
				p.Message = clean(c.Params["error_description"])
			}
		}
		return
	}
}

// Realm returns the realm of the first challenge that has one.
func (p Problem) Realm() string {
	for _, c := range p.Challenges {
		if r := c.Params["realm"]; r != "" {
			return clean(r)
		}
	}
	return ""
}

// Describe says what the body is, for an answer that should have been
// something else: "an empty body", "an HTML page (502 Bad Gateway)",
// "text (Verification failed)", "a form-encoded body with fields
// access_token, refresh_token", "JSON".
func (p Problem) Describe() string {
	switch p.Kind {
	case EmptyBody:
		return "an empty body"
	case HTMLBody:
		if title, ok := strings.CutPrefix(p.Message, htmlTitled); ok {
			return "an HTML page (" + title + ")"
		}
		return "an HTML page"
	case FormBody:
		return "a form-encoded body with fields " + strings.Join(p.Fields, ", ")
	case TextBody:
		return "text (" + p.Message + ")"
	}
	return "JSON"
}

// isForm reports whether body is form-encoded: labelled so, or shaped so
// (name=value pairs joined with &, nothing a sentence has), as servers
// that answer forms under text/plain send it.
func isForm(mediaType string, body []byte) bool {
	if mediaType == "application/x-www-form-urlencoded" {
		return true
	}
	eq := bytes.IndexByte(body, '=')
	if eq <= 0 {
		return false
	}
	for _, c := range body {
		if !(isTchar(c) || c == '=' || c == '%' || c == '/' || c == ':' || c == ';' || c == ',') {
			return false
		}
	}
	return true
}

// readForm keeps a form's field names and its RFC 6749 error fields.
func (p *Problem) readForm(body []byte) {
	q, _ := url.ParseQuery(string(body))
	for k := range q {
		p.Fields = append(p.Fields, clean(k))
	}
	slices.Sort(p.Fields)
	p.Code = clean(q.Get("error"))
	p.Message = clean(q.Get("error_description"))
	p.URI = clean(q.Get("error_uri"))
}

// htmlTitled starts the Message of an HTML page with a title.
const htmlTitled = "HTML page: "

// htmlMessage returns an HTML error page's title, or a note that it is one.
func htmlMessage(body []byte) string {
	if t := oneline.HTMLTitle(body, MaxMessage); t != "" {
		return htmlTitled + t
	}
	return "HTML page instead of an API response"
}

// readHTMLError fills Code and Message from the RFC 6749 error and
// error_description an HTML error page shows as lines of text, "error:
// invalid_redirect_uri", as oidc-provider's authorization endpoint does
// for a request it cannot redirect back (RFC 6749 4.1.2.1):
// <pre><strong>error</strong>: invalid_redirect_uri</pre>. Without them
// the page's title ("oops! something went wrong") says nothing useful.
func (p *Problem) readHTMLError(body []byte) {
	var code, desc string
	for line := range strings.Lines(htmlText(body)) {
		name, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch name = strings.ToLower(strings.TrimSpace(name)); {
		case !ok || value == "":
		case name == "error" && code == "" && isErrorCode(value):
			code = value
		case name == "error_description" && desc == "":
			desc = value
		}
	}
	if code == "" {
		return
	}
	p.Code = clean(code)
	if desc != "" {
		p.Message = clean(desc)
	}
}

// isErrorCode reports whether s has the shape of an RFC 6749 error code
// (a word of letters, digits and underscores), not a sentence.
func isErrorCode(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r))
	})
}

// htmlText returns the text of an HTML page, unescaped, with a line break
// for each tag that ends a line and nothing for the others (<strong>).
func htmlText(body []byte) string {
	var b strings.Builder
	rest := string(body)
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		if breaksLine(rest[i+1 : i+j]) {
			b.WriteByte('\n')
		}
		rest = rest[i+j+1:]
	}
	return html.UnescapeString(b.String())
}

// breaksLine reports whether the tag whose inside is tag ends a line of
// text (a block, a line break, a cell).
func breaksLine(tag string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(tag, "/"), " ")
	switch strings.ToLower(strings.TrimRight(name, "/")) {
	case "br", "p", "pre", "div", "li", "tr", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "title", "body", "section", "article":
		return true
	}
	return false
}

// jsonProblem has the fields of the error documents we know.
type jsonProblem struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription json.RawMessage `json:"error_description"`
	ErrorURI         json.RawMessage `json:"error_uri"`
	Detail           json.RawMessage `json:"detail"`
	Message          json.RawMessage `json:"message"`
	Code             json.RawMessage `json:"code"`
	Title            json.RawMessage `json:"title"`
}

func (p *Problem) readJSON(body []byte) {
	var j jsonProblem
	if body[0] != '{' || json.Unmarshal(body, &j) != nil {
		p.Message = clean(firstLine(string(body)))
		return
	}
	// RFC 6749 5.2, or {"error": {"code": …, "message": …}}.
	if s, ok := jsonString(j.Error); ok {
		p.Code = clean(s)
	} else if len(j.Error) > 0 && j.Error[0] == '{' {
		var inner struct {
			Code    json.RawMessage `json:"code"`
			Status  string          `json:"status"`
			Message string          `json:"message"`
		}
		if json.Unmarshal(j.Error, &inner) == nil {
			p.Code = clean(cmpOr(scalar(inner.Code), inner.Status))
			p.Message = clean(inner.Message)
		}
	}
	p.Message = cmpOr(p.Message, clean(scalar(j.ErrorDescription)))
	p.URI = clean(scalar(j.ErrorURI))
	p.Code = cmpOr(p.Code, clean(scalar(j.Code)))
	// FastAPI {"detail": "LOGIN_BAD_CREDENTIALS"} or a validation list;
	// {"message": "token-expired"}; a problem document's title.
	for _, raw := range []json.RawMessage{j.Detail, j.Message} {
		switch s := detailText(raw); {
		case s == "":
		case p.Code == "" && looksLikeCode(s):
			p.Code = s
		case p.Message == "":
			p.Message = s
		}
	}
	p.Message = cmpOr(p.Message, clean(scalar(j.Title)))
}

// detailText renders a FastAPI detail: a string, or a list of
// {"loc": […], "msg": "…"} joined with "; ".
func detailText(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return clean(s)
	}
	var items []struct {
		Loc []json.RawMessage `json:"loc"`
		Msg string            `json:"msg"`
	}
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return ""
	}
	var parts []string
	for _, it := range items {
		if it.Msg == "" {
			continue
		}
		var loc []string
		for _, l := range it.Loc {
			loc = append(loc, oneline.Clean(scalar(l), 40))
		}
		parts = append(parts, strings.TrimPrefix(strings.Join(loc, ".")+": ", ": ")+it.Msg)
	}
	return clean(strings.Join(parts, "; "))
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// scalar renders a JSON string or number as text; "" otherwise.
func scalar(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return s
	}
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return string(raw)
	}
	return ""
}

// looksLikeCode reports whether s is a machine code (invalid_grant,
// token-expired, LOGIN_BAD_CREDENTIALS) rather than a sentence.
func looksLikeCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r == ':' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// clean makes s safe to print on one line, at most MaxMessage bytes.
func clean(s string) string { return oneline.Clean(s, MaxMessage) }
