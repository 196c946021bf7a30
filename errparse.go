package bearer

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/bearer-go/bearer/internal/oneline"
	"github.com/bearer-go/bearer/internal/redact"
)

// maxMessage bounds Code and Message: a description longer than this is a
// page, not a message.
const maxMessage = 300

// newAPIError reads up to MaxErrorBody bytes of resp's body, closes it, and
// parses the error. secrets are redacted from everything kept.
func newAPIError(resp *http.Response, secrets ...string) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	drainAndClose(resp.Body)
	e := &APIError{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header),
		RetryAfter: ParseRetryAfter(resp.Header, time.Now())}
	if req := resp.Request; req != nil {
		e.Method = req.Method
		e.URL = redact.URL(req.URL, secrets...)
	}
	parseErrorBody(e, resp.Header, body)
	e.Code = redact.String(e.Code, secrets...)
	e.Message = redact.String(e.Message, secrets...)
	e.RequestID = redact.String(e.RequestID, secrets...)
	e.Body = []byte(redact.String(string(body), secrets...))
	return e
}

// parseErrorBody fills Code, Message and URI from the body and the
// WWW-Authenticate challenge.
func parseErrorBody(e *APIError, h http.Header, body []byte) {
	mediaType, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		parseJSONError(e, trimmed)
	case mediaType == "text/html" || bytes.HasPrefix(trimmed, []byte("<")):
		e.Message = htmlTitle(trimmed)
	case len(trimmed) > 0:
		e.Message = clean(firstLine(string(trimmed)), maxMessage)
	}
	if e.Code == "" || e.Message == "" {
		if c := ParseChallenge(h.Get("WWW-Authenticate")); c.Scheme != "" {
			if e.Code == "" {
				e.Code = clean(c.Params["error"], maxMessage)
			}
			if e.Message == "" {
				e.Message = clean(c.Params["error_description"], maxMessage)
			}
		}
	}
}

// jsonError has the fields of the error documents we know.
type jsonError struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	ErrorURI         string          `json:"error_uri"`
	Detail           json.RawMessage `json:"detail"`
	Message          json.RawMessage `json:"message"`
	Code             json.RawMessage `json:"code"`
	Title            string          `json:"title"`
}

func parseJSONError(e *APIError, body []byte) {
	var j jsonError
	if json.Unmarshal(body, &j) != nil {
		e.Message = clean(firstLine(string(body)), maxMessage)
		return
	}
	// RFC 6749 5.2, or {"error": {"code": …, "message": …}}.
	if s, ok := jsonString(j.Error); ok {
		e.Code = clean(s, maxMessage)
	} else if len(j.Error) > 0 && j.Error[0] == '{' {
		var inner struct {
			Code    json.RawMessage `json:"code"`
			Status  string          `json:"status"`
			Message string          `json:"message"`
		}
		if json.Unmarshal(j.Error, &inner) == nil {
			e.Code = clean(firstNonEmpty(scalar(inner.Code), inner.Status), maxMessage)
			e.Message = clean(inner.Message, maxMessage)
		}
	}
	e.Message = firstNonEmpty(e.Message, clean(j.ErrorDescription, maxMessage))
	e.URI = clean(j.ErrorURI, maxMessage)
	if e.Code == "" {
		e.Code = clean(scalar(j.Code), maxMessage)
	}
	// FastAPI {"detail": "LOGIN_BAD_CREDENTIALS"} or a validation list;
	// {"message": "token-expired"}; a problem document's title.
	for _, raw := range []json.RawMessage{j.Detail, j.Message} {
		s := detailText(raw)
		if s == "" {
			continue
		}
		if e.Code == "" && looksLikeCode(s) {
			e.Code = s
		} else if e.Message == "" {
			e.Message = s
		}
	}
	e.Message = firstNonEmpty(e.Message, clean(j.Title, maxMessage))
}

// detailText renders a FastAPI detail: a string, or a list of
// {"loc": […], "msg": "…"} joined with "; ".
func detailText(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return clean(s, maxMessage)
	}
	var items []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
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
			loc = append(loc, clean(scalar(mustJSON(l)), 40))
		}
		if len(loc) > 0 {
			parts = append(parts, strings.Join(loc, ".")+": "+it.Msg)
		} else {
			parts = append(parts, it.Msg)
		}
	}
	return clean(strings.Join(parts, "; "), maxMessage)
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// scalar renders a JSON string or number as text.
func scalar(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return s
	}
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return string(raw)
	}
	return ""
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
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

// htmlTitle returns an HTML error page's title, or a note that it is one.
func htmlTitle(body []byte) string {
	if t := oneline.HTMLTitle(body, maxMessage); t != "" {
		return "HTML page: " + t
	}
	return "HTML page instead of an API response"
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// clean makes s safe to print on one line, at most n bytes.
func clean(s string, n int) string { return oneline.Clean(s, n) }
