package bearer

import (
	"net/http"
	"strings"
	"testing"
)

func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="example", error="invalid_token", error_description="The access token expired"`,
		`Bearer`, `Basic realm="x", Bearer error=insufficient_scope`, `Bearer error="a\"b"`, `=`, `Bearer ,,, x=`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		c := ParseChallenge(header)
		if c.Scheme == "" && len(c.Params) != 0 {
			t.Errorf("ParseChallenge(%q) has params without a scheme", header)
		}
		for k := range c.Params {
			if k != strings.ToLower(k) {
				t.Errorf("ParseChallenge(%q) kept a param name in mixed case: %q", header, k)
			}
		}
	})
}

func TestParseChallenge(t *testing.T) {
	c := ParseChallenge(`Bearer realm="c2", error="invalid_token", error_description="expired \"now\"", Basic realm="x"`)
	if c.Scheme != "Bearer" || c.Params["realm"] != "c2" || c.Params["error"] != "invalid_token" || c.Params["error_description"] != `expired "now"` {
		t.Errorf("ParseChallenge = %+v", c)
	}
	if _, ok := c.Params["basic realm"]; ok {
		t.Errorf("ParseChallenge read into the next challenge: %+v", c)
	}
	if c := ParseChallenge(""); c.Scheme != "" {
		t.Errorf(`ParseChallenge("") = %+v`, c)
	}
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"error":"invalid_grant","error_description":"x"}`, `{"detail":"LOGIN_BAD_CREDENTIALS"}`,
		`{"detail":[{"loc":["body",1],"msg":"m"}]}`, `{"error":{"code":5,"message":"m"}}`,
		`<html><title>t</title>`, "text\nmore", `{"message":["not","a","string"]}`, `[1,2]`,
	} {
		f.Add(s, "application/json")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		var e APIError
		parseErrorBody(&e, http.Header{"Content-Type": {contentType}}, []byte(body))
		for name, v := range map[string]string{"Code": e.Code, "Message": e.Message, "URI": e.URI} {
			if len(v) > maxMessage+len("HTML page: ")+len("…") {
				t.Errorf("%s is %d bytes; want at most about %d", name, len(v), maxMessage)
			}
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Errorf("%s has control characters: %q", name, v)
			}
		}
	})
}
