package httpx

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/bearer-go/bearer/internal/redact"
)

// LabelledSecrets returns the values a body labels secret: the string
// values, at any depth, of JSON members whose names say they hold one
// (access_token, refresh_token, password, …), the values of such fields
// of a form-encoded body, and, whatever the body's shape (YAML, JSONP,
// JSON inside an HTML page, JSON cut at a limit, a sentence), every value
// written after such a name and a ':' or '='. A server that answers a
// token request in a shape the client does not read has still sent a
// live token, and an error that describes the answer must not quote it.
func LabelledSecrets(h http.Header, body []byte) []string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	var out []string
	switch mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); {
	case trimmed[0] == '{' || trimmed[0] == '[':
		var v any
		if json.Unmarshal(trimmed, &v) == nil {
			collectJSONSecrets(v, "", 0, &out)
		}
	case isForm(mt, trimmed):
		q, _ := url.ParseQuery(string(trimmed))
		out = redact.ValuesSecrets(q)
	}
	return append(out, textSecrets(string(trimmed))...)
}

// secretLabel reports whether a field named name holds a secret. A JSON
// "code" is an error code, not an authorization code, and token_type
// names a kind of token.
func secretLabel(name string) bool {
	switch strings.ToLower(strings.ReplaceAll(name, "-", "_")) {
	case "code", "token_type", "tokentype":
		return false
	}
	return redact.IsSensitiveParam(name)
}

// maxJSONDepth bounds the walk through a JSON body for labelled secrets.
const maxJSONDepth = 8

func collectJSONSecrets(v any, key string, depth int, out *[]string) {
	if depth > maxJSONDepth {
		return
	}
	switch v := v.(type) {
	case string:
		if key != "" && secretLabel(key) {
			*out = append(*out, v)
		}
	case map[string]any:
		for k, e := range v {
			collectJSONSecrets(e, k, depth+1, out)
		}
	case []any:
		for _, e := range v {
			collectJSONSecrets(e, key, depth+1, out)
		}
	}
}

// textSecrets returns every value that text writes after a secret's name
// and a ':' or '=', with quotes and spaces around either: access_token:
// X, "refresh_token": "X", password=X, {\"api_key\":\"X\"}.
func textSecrets(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		if !isNameByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isNameByte(text[j]) {
			j++
		}
		if secretLabel(text[i:j]) {
			for _, v := range valuesAfter(text[j:]) {
				if len(v) >= minLabelled {
					out = append(out, v)
				}
			}
		}
		i = j
	}
	return out
}

// minLabelled is the shortest value textSecrets takes for a secret: the
// registry's own minimum, below which nothing is redacted.
const minLabelled = 4

// valuesAfter returns the value that rest, the text after a name,
// assigns to it: after quotes and spaces, a ':' or '=', then quotes and
// spaces, the run up to the next quote, space or bracket; and, if it is
// shorter, the run up to the next '&', ',' or ';' too, in case those
// separate fields there (a form) rather than belong to the value. The
// longer comes first, so that it is redacted whole. None if rest assigns
// nothing.
func valuesAfter(rest string) []string {
	rest = strings.TrimLeft(rest, `"'\ `)
	if rest == "" || (rest[0] != ':' && rest[0] != '=') {
		return nil
	}
	rest = strings.TrimLeft(rest[1:], `"'\ `+"\t")
	long := rest[:runEnd(rest, "\"'\\ \t\r\n<>{}[]()")]
	short := long[:runEnd(long, "&,;")]
	if short == long {
		return []string{long}
	}
	return []string{long, short}
}

// runEnd returns the index of the first byte of s in stop, or len(s).
func runEnd(s, stop string) int {
	if i := strings.IndexAny(s, stop); i >= 0 {
		return i
	}
	return len(s)
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
